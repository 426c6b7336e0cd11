import PoECrypto
import PoEWire
import Testing

@Suite struct DigestTests {
    @Test func sha256MatchesTheStandardVectors() {
        #expect(Digest.sha256("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.sha256("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(Digest.sha256(million).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalHashingEqualsOneShot() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256Hasher()
        for start in stride(from: 0, to: data.count, by: 777) {
            hasher.update(Array(data[start..<min(start + 777, data.count)]))
        }
        #expect(hasher.finalize() == Digest.sha256(data))
    }

    @Test func hexRoundTripsAndRefusesGarbage() throws {
        let digest = Digest.sha256("abc")
        #expect(Digest(hex: digest.hex) == digest)
        #expect(Digest(hex: digest.hex.uppercased()) == digest)
        #expect(Digest(hex: "abc") == nil)
        #expect(Digest(hex: String(repeating: "zz", count: 32)) == nil)
        #expect(Digest(bytes: [1, 2, 3]) == nil)
    }

    @Test func orderIsBytewise() throws {
        let low = try #require(Digest(bytes: [0x00] + Array(repeating: 0xff, count: 31)))
        let high = try #require(Digest(bytes: [0x01] + Array(repeating: 0x00, count: 31)))
        #expect(low < high)
        #expect(!(high < low))
    }

    @Test func wireRoundTrip() throws {
        let digest = Digest.sha256("x")
        #expect(digest.wireBytes == digest.bytes)
        #expect(try Digest.decode(wireBytes: digest.wireBytes) == digest)
        #expect(throws: WireError.self) { try Digest.decode(wireBytes: Array(digest.bytes.dropLast())) }
    }

    @Test func secureRandomIsNotConstant() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        #expect(SecureRandom.bytes(0).isEmpty)
    }
}
