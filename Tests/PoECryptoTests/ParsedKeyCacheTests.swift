import PoECrypto
import Testing

/// Parsed keys are remembered per thread: the cache may change cost, never a result.
@Suite struct ParsedKeyCacheTests {
    @Test func aRememberedKeyVerifiesAsAFreshParseDoes() throws {
        let signer = PrivateKey.deterministic(seed: "parsed-key-cache")
        let signature = signer.sign([1, 2, 3], domain: .transaction)
        let first = try PublicKey(bytes: signer.publicKey.bytes)
        let second = try PublicKey(bytes: signer.publicKey.bytes)
        #expect(first.verify(signature, for: [1, 2, 3], domain: .transaction))
        #expect(second.verify(signature, for: [1, 2, 3], domain: .transaction))
        #expect(!second.verify(signature, for: [1, 2, 4], domain: .transaction))
    }

    @Test func bytesOffTheCurveAreRefusedEveryTime() {
        // x = 5 is not the x coordinate of a secp256k1 point (5^3 + 7 = 132 is a non-residue).
        let offCurve = [UInt8](repeating: 0, count: 31) + [5]
        for _ in 0..<3 {
            #expect(throws: CryptoError.invalidPublicKey) { try PublicKey(bytes: offCurve) }
        }
    }

    @Test func keysPastTheCapacityStillVerify() throws {
        let signers = (0..<1_500).map { PrivateKey.deterministic(seed: "capacity-\($0)") }
        for round in 0..<2 {
            for signer in signers.shuffled() {
                let message = [UInt8(round)]
                let key = try PublicKey(bytes: signer.publicKey.bytes)
                #expect(key.verify(signer.sign(message, domain: .consensus), for: message, domain: .consensus))
            }
        }
    }
}
