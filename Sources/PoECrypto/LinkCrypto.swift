import COpenSSL

/// The primitives of an encrypted peer link: X25519 key agreement, HKDF-SHA256 key
/// derivation and ChaCha20-Poly1305 sealing (all from libcrypto).
public enum LinkCryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidPeerKey
    case authenticationFailed
    case derivationFailed

    public var description: String {
        switch self {
        case .invalidPeerKey: return "peer's X25519 key is malformed or of small order"
        case .authenticationFailed: return "ciphertext failed authentication"
        case .derivationFailed: return "key derivation failed"
        }
    }
}

/// An ephemeral X25519 key: one per link, never stored.
public struct X25519PrivateKey: Sendable {
    public static let byteCount = 32
    private let secret: [UInt8]
    public let publicKey: [UInt8]

    public init() { self.init(unchecked: SecureRandom.bytes(X25519PrivateKey.byteCount)) }

    /// A key from given bytes: tests use it to replay a handshake.
    public init(secretBytes: [UInt8]) {
        precondition(secretBytes.count == X25519PrivateKey.byteCount, "X25519 secret must be 32 bytes")
        self.init(unchecked: secretBytes)
    }

    private init(unchecked secret: [UInt8]) {
        var publicKey = [UInt8](repeating: 0, count: X25519PrivateKey.byteCount)
        let ok = poe_x25519_public(secret, &publicKey)
        precondition(ok == 1, "X25519 public key derivation failed")
        self.secret = secret
        self.publicKey = publicKey
    }

    public func sharedSecret(with peerPublicKey: [UInt8]) throws(LinkCryptoError) -> [UInt8] {
        guard peerPublicKey.count == X25519PrivateKey.byteCount else { throw .invalidPeerKey }
        var shared = [UInt8](repeating: 0, count: 32)
        guard poe_x25519_derive(secret, peerPublicKey, &shared) == 1 else { throw .invalidPeerKey }
        guard shared.contains(where: { $0 != 0 }) else { throw .invalidPeerKey }
        return shared
    }
}

public enum HKDF {
    /// HKDF-SHA256 extract-and-expand (RFC 5869).
    public static func sha256(
        secret: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int
    ) throws(LinkCryptoError) -> [UInt8] {
        precondition(outputByteCount > 0 && outputByteCount <= 255 * 32, "HKDF output length out of range")
        var out = [UInt8](repeating: 0, count: outputByteCount)
        guard poe_hkdf_sha256(secret, secret.count, salt, salt.count, info, info.count, &out, out.count) == 1 else {
            throw .derivationFailed
        }
        return out
    }
}

/// ChaCha20-Poly1305 with a 32-byte key and a 12-byte nonce; the 16-byte tag follows
/// the ciphertext.
public enum ChaChaPoly {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    public static func seal(key: [UInt8], nonce: [UInt8], associatedData: [UInt8] = [], plaintext: [UInt8]) -> [UInt8] {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount)
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        let ok = poe_chacha_seal(key, nonce, associatedData, associatedData.count, plaintext, plaintext.count, &out)
        precondition(ok == 1, "ChaCha20-Poly1305 seal failed")
        return out
    }

    public static func open(
        key: [UInt8], nonce: [UInt8], associatedData: [UInt8] = [], sealed: [UInt8]
    ) throws(LinkCryptoError) -> [UInt8] {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount)
        guard sealed.count >= tagByteCount else { throw .authenticationFailed }
        var out = [UInt8](repeating: 0, count: sealed.count - tagByteCount)
        guard poe_chacha_open(key, nonce, associatedData, associatedData.count, sealed, sealed.count, &out) == 1 else {
            throw .authenticationFailed
        }
        return out
    }

    /// The nonce for the n-th frame of one direction of a link: 4 zero bytes and the
    /// big-endian counter. A key is never used for more than 2^64 frames.
    public static func nonce(counter: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
    }
}
