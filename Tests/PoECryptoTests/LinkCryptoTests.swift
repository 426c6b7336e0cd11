import PoECrypto
import Testing

@Suite struct LinkCryptoTests {
    /// RFC 7748 section 6.1.
    @Test func x25519MatchesRFC7748() throws {
        let alice = X25519PrivateKey(secretBytes: Hex.decode("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")!)
        let bob = X25519PrivateKey(secretBytes: Hex.decode("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")!)
        #expect(Hex.encode(alice.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(Hex.encode(bob.publicKey) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(Hex.encode(try alice.sharedSecret(with: bob.publicKey)) == shared)
        #expect(Hex.encode(try bob.sharedSecret(with: alice.publicKey)) == shared)
    }

    @Test func smallOrderPeerKeyIsRefused() {
        let key = X25519PrivateKey()
        #expect(throws: LinkCryptoError.invalidPeerKey) { try key.sharedSecret(with: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: LinkCryptoError.invalidPeerKey) { try key.sharedSecret(with: [1, 2, 3]) }
    }

    /// RFC 5869 test case 1.
    @Test func hkdfMatchesRFC5869() throws {
        let okm = try HKDF.sha256(
            secret: [UInt8](repeating: 0x0b, count: 22), salt: Hex.decode("000102030405060708090a0b0c")!,
            info: Hex.decode("f0f1f2f3f4f5f6f7f8f9")!, outputByteCount: 42)
        #expect(
            Hex.encode(okm)
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    /// RFC 8439 section 2.8.2.
    @Test func chachaPolyMatchesRFC8439() throws {
        let key = Hex.decode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")!
        let nonce = Hex.decode("070000004041424344454647")!
        let aad = Hex.decode("50515253c0c1c2c3c4c5c6c7")!
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let sealed = ChaChaPoly.seal(key: key, nonce: nonce, associatedData: aad, plaintext: plaintext)
        #expect(Hex.encode(sealed.suffix(16)) == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(Hex.encode(sealed.prefix(8)) == "d31a8d34648e60db")
        #expect(try ChaChaPoly.open(key: key, nonce: nonce, associatedData: aad, sealed: sealed) == plaintext)
    }

    @Test func tamperedCiphertextAadOrNonceIsRefused() {
        let key = [UInt8](repeating: 7, count: 32)
        let nonce = ChaChaPoly.nonce(counter: 1)
        let sealed = ChaChaPoly.seal(key: key, nonce: nonce, associatedData: [1], plaintext: [1, 2, 3])
        var flipped = sealed
        flipped[0] ^= 1
        #expect(throws: LinkCryptoError.authenticationFailed) {
            try ChaChaPoly.open(key: key, nonce: nonce, associatedData: [1], sealed: flipped)
        }
        #expect(throws: LinkCryptoError.authenticationFailed) {
            try ChaChaPoly.open(key: key, nonce: nonce, associatedData: [2], sealed: sealed)
        }
        #expect(throws: LinkCryptoError.authenticationFailed) {
            try ChaChaPoly.open(key: key, nonce: ChaChaPoly.nonce(counter: 2), associatedData: [1], sealed: sealed)
        }
        #expect(throws: LinkCryptoError.authenticationFailed) {
            try ChaChaPoly.open(key: key, nonce: nonce, sealed: [1, 2])
        }
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let key = [UInt8](repeating: 9, count: 32)
        let sealed = ChaChaPoly.seal(key: key, nonce: ChaChaPoly.nonce(counter: 0), plaintext: [])
        #expect(sealed.count == 16)
        #expect(try ChaChaPoly.open(key: key, nonce: ChaChaPoly.nonce(counter: 0), sealed: sealed).isEmpty)
    }

    @Test func nonceIsTheBigEndianCounter() {
        #expect(ChaChaPoly.nonce(counter: 0x0102) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2])
    }
}
