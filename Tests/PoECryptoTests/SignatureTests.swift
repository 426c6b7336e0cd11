import PoECrypto
import PoEWire
import Testing

@Suite struct SignatureTests {
    let key = PrivateKey.deterministic(seed: "alice")
    let other = PrivateKey.deterministic(seed: "bob")
    let message = Array("transfer 10 to bob".utf8)

    @Test func signatureVerifiesForTheSameKeyMessageAndDomain() {
        let signature = key.sign(message, domain: .transaction)
        #expect(key.publicKey.verify(signature, for: message, domain: .transaction))
    }

    @Test func signingIsDeterministic() {
        #expect(key.sign(message, domain: .transaction) == key.sign(message, domain: .transaction))
    }

    @Test func wrongKeyIsRejected() {
        let signature = key.sign(message, domain: .transaction)
        #expect(!other.publicKey.verify(signature, for: message, domain: .transaction))
    }

    @Test func wrongMessageIsRejected() {
        let signature = key.sign(message, domain: .transaction)
        var altered = message
        altered[0] ^= 1
        #expect(!key.publicKey.verify(signature, for: altered, domain: .transaction))
        #expect(!key.publicKey.verify(signature, for: message + [0], domain: .transaction))
    }

    @Test(arguments: SigningDomain.allCases)
    func signatureNeverVerifiesInAnotherDomain(domain: SigningDomain) {
        let signature = key.sign(message, domain: domain)
        for otherDomain in SigningDomain.allCases where otherDomain != domain {
            #expect(!key.publicKey.verify(signature, for: message, domain: otherDomain))
        }
    }

    @Test func domainTagsAreDistinct() {
        let tags = SigningDomain.allCases.map(\.rawValue)
        #expect(Set(tags).count == tags.count)
    }

    @Test func flippedSignatureBitsAreRejected() throws {
        let signature = key.sign(message, domain: .consensus)
        for index in [0, 31, 32, 63] {
            var bytes = signature.bytes
            bytes[index] ^= 0x01
            #expect(!key.publicKey.verify(try Signature(bytes: bytes), for: message, domain: .consensus))
        }
    }

    @Test func malformedLengthsAreRefused() {
        #expect(throws: CryptoError.invalidLength(what: "signature", expected: 64, actual: 63)) {
            try Signature(bytes: Array(repeating: 1, count: 63))
        }
        #expect(throws: CryptoError.invalidLength(what: "public key", expected: 32, actual: 33)) {
            try PublicKey(bytes: Array(repeating: 1, count: 33))
        }
        #expect(throws: CryptoError.invalidLength(what: "secret key", expected: 32, actual: 31)) {
            try PrivateKey(secretBytes: Array(repeating: 1, count: 31))
        }
    }

    @Test func outOfRangeSecretKeysAreRefused() {
        #expect(throws: CryptoError.invalidSecretKey) { try PrivateKey(secretBytes: Array(repeating: 0, count: 32)) }
        #expect(throws: CryptoError.invalidSecretKey) {
            try PrivateKey(secretBytes: Array(repeating: 0xff, count: 32))
        }
    }

    @Test func publicKeyOffTheCurveIsRefusedOnTheWire() {
        // x = p + 1 is not a field element, so it is no curve point.
        let bytes = Hex.decode("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30")!
        #expect(throws: WireError.self) { try PublicKey.decode(wireBytes: bytes) }
    }

    @Test func keysAndSignaturesRoundTripOnTheWire() throws {
        let signature = key.sign(message, domain: .attestation)
        #expect(try PublicKey.decode(wireBytes: key.publicKey.wireBytes) == key.publicKey)
        #expect(try Signature.decode(wireBytes: signature.wireBytes) == signature)
    }

    @Test func generatedKeysDiffer() {
        #expect(PrivateKey.generate().publicKey != PrivateKey.generate().publicKey)
    }
}
