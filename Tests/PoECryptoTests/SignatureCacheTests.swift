import PoECrypto
import Testing

@Suite struct SignatureCacheTests {
    let key = PrivateKey.deterministic(seed: "cache")
    let message = Array("pay 5".utf8)

    @Test func answersExactlyAsVerificationDoes() throws {
        let cache = SignatureCache(capacity: 8)
        let good = key.sign(message, domain: .transaction)
        #expect(cache.verify(good, by: key.publicKey, for: message, domain: .transaction))
        #expect(cache.verify(good, by: key.publicKey, for: message, domain: .transaction), "a hit")
        #expect(!cache.verify(good, by: key.publicKey, for: message + [0], domain: .transaction))
        #expect(!cache.verify(good, by: key.publicKey, for: message, domain: .consensus))
        let other = PrivateKey.deterministic(seed: "other").publicKey
        #expect(!cache.verify(good, by: other, for: message, domain: .transaction))
        var bytes = good.bytes
        bytes[5] ^= 1
        #expect(!cache.verify(try Signature(bytes: bytes), by: key.publicKey, for: message, domain: .transaction))
        #expect(cache.count == 1, "failures are not remembered")
    }

    /// Entries that share a place evict each other; each is then verified again, with
    /// the same answer, and a bad signature is never taken for the one evicted.
    @Test func anEvictedEntryIsVerifiedAgainWithTheSameAnswer() throws {
        let cache = SignatureCache(capacity: 1)
        let first = key.sign(message, domain: .transaction)
        let second = key.sign(message + [1], domain: .transaction)
        for _ in 0..<3 {
            #expect(cache.verify(first, by: key.publicKey, for: message, domain: .transaction))
            #expect(cache.verify(second, by: key.publicKey, for: message + [1], domain: .transaction))
            #expect(!cache.verify(first, by: key.publicKey, for: message + [1], domain: .transaction))
            #expect(cache.count == 1)
        }
    }

    @Test func roundsItsCapacityUpToAPowerOfTwo() {
        #expect(SignatureCache(capacity: 5).capacity == 8)
        #expect(SignatureCache(capacity: 1 << 16).capacity == 1 << 16)
    }

    @Test func staysWithinItsCapacity() {
        let cache = SignatureCache(capacity: 4)
        for index in 0..<20 {
            let message = [UInt8(index)]
            #expect(cache.verify(key.sign(message, domain: .transaction), by: key.publicKey, for: message, domain: .transaction))
            #expect(cache.count <= 4)
        }
    }
}
