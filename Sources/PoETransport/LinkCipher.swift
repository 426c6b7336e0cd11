public import PoECrypto

/// Seals and opens the frames of one established link. Each direction has its own
/// key and counts its frames, and the count is the nonce: a replayed, dropped or
/// reordered frame fails authentication, and the link is closed.
public struct LinkCipher: Sendable {
    private let keys: LinkKeys
    private var sentCount: UInt64 = 0
    private var receivedCount: UInt64 = 0

    public init(keys: LinkKeys) {
        precondition(keys.sendKey.count == ChaChaPoly.keyByteCount)
        precondition(keys.receiveKey.count == ChaChaPoly.keyByteCount)
        precondition(keys.sendKey != keys.receiveKey, "directions must not share a key")
        self.keys = keys
    }

    public mutating func seal(_ plaintext: [UInt8]) -> [UInt8] {
        defer { sentCount += 1 }
        return ChaChaPoly.seal(key: keys.sendKey, nonce: ChaChaPoly.nonce(counter: sentCount), plaintext: plaintext)
    }

    public mutating func open(_ sealed: [UInt8]) throws(LinkCryptoError) -> [UInt8] {
        let plaintext = try ChaChaPoly.open(
            key: keys.receiveKey, nonce: ChaChaPoly.nonce(counter: receivedCount), sealed: sealed)
        receivedCount += 1
        return plaintext
    }
}
