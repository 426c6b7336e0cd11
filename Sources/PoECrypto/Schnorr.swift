public import PoEWire
import CSecp256k1
import Glibc

/// The process-wide secp256k1 context. Signing and verification only read it, so
/// one context serves every thread once created.
enum Secp256k1 {
    nonisolated(unsafe) static let context: OpaquePointer = {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        // Blinding against side channels; the seed comes from the system DRBG.
        let seed = SecureRandom.bytes(32)
        let ok = secp256k1_context_randomize(context, seed)
        precondition(ok == 1, "secp256k1_context_randomize failed")
        return context
    }()
}

public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSecretKey
    case invalidPublicKey
    case invalidLength(what: String, expected: Int, actual: Int)
    case invalidHex(what: String)

    public var description: String {
        switch self {
        case .invalidSecretKey: return "secret key is zero or not below the curve order"
        case .invalidPublicKey: return "public key is not the x coordinate of a curve point"
        case .invalidLength(let what, let expected, let actual):
            return "\(what): expected \(expected) bytes, got \(actual)"
        case .invalidHex(let what): return "\(what): not hexadecimal"
        }
    }
}

/// A BIP-340 x-only public key: 32 bytes, always a valid curve point once constructed.
public struct PublicKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]
    /// The parsed point, kept so that verification does not pay for a square root.
    fileprivate let parsed: secp256k1_xonly_pubkey

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == PublicKey.byteCount else {
            throw .invalidLength(what: "public key", expected: PublicKey.byteCount, actual: bytes.count)
        }
        guard let parsed = ParsedKeys.parse(bytes) else { throw .invalidPublicKey }
        self.bytes = bytes
        self.parsed = parsed
    }

    public init(hex: String) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw .invalidHex(what: "public key") }
        try self.init(bytes: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    public var short: String { String(hex.prefix(8)) }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.bytes == rhs.bytes }
    /// The bytes as one block: `combine(bytes)` would feed them one at a time.
    public func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Checks a signature over `message` made in `domain`.
    public func verify(_ signature: Signature, for message: [UInt8], domain: SigningDomain) -> Bool {
        let digest = domain.messageDigest(message)
        return verify(signature, digest: digest)
    }

    /// Checks a BIP-340 signature over a raw 32-byte message (no domain tag). Only
    /// the test vectors need this; protocol code goes through `verify(_:for:domain:)`.
    public func verify(_ signature: Signature, digest: Digest) -> Bool {
        var key = parsed
        return digest.withUnsafeBytes { message in
            secp256k1_schnorrsig_verify(
                Secp256k1.context, signature.bytes, message.baseAddress!.assumingMemoryBound(to: UInt8.self),
                32, &key) == 1
        }
    }
}

/// Keys already parsed by this thread. Parsing an x-only key costs a square root (about
/// 4 µs, a seventh of a verification), and the same few keys (validators, busy accounts)
/// are decoded many times per transaction: from the API, from the batch, from the
/// ledger. Only valid keys are remembered and parsing is a pure function, so a hit gives
/// exactly what parsing again would. One cache per thread, because a shared one behind
/// a lock was measured to cost more in contention than the parses it saved. Bounded:
/// when full it is emptied and refills with the keys in use.
private enum ParsedKeys {
    struct Key: Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64)

        init(_ bytes: [UInt8]) {
            words = bytes.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            }
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.words == rhs.words }
        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    final class Cache {
        var parsed: [Key: secp256k1_xonly_pubkey] = [:]
    }

    static let capacity = 1_024

    /// The calling thread's cache, released when the thread ends.
    private static let slot: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<Cache>.fromOpaque(pointer).release() }
        }
        precondition(created == 0, "pthread_key_create failed")
        return key
    }()

    private static func threadCache() -> Cache {
        if let pointer = pthread_getspecific(slot) { return Unmanaged<Cache>.fromOpaque(pointer).takeUnretainedValue() }
        let cache = Cache()
        pthread_setspecific(slot, Unmanaged.passRetained(cache).toOpaque())
        return cache
    }

    /// The parsed point of 32 bytes, or nil when they are not the x coordinate of a point.
    static func parse(_ bytes: [UInt8]) -> secp256k1_xonly_pubkey? {
        let key = Key(bytes)
        let cache = threadCache()
        if let hit = cache.parsed[key] { return hit }
        var parsed = secp256k1_xonly_pubkey()
        guard secp256k1_xonly_pubkey_parse(Secp256k1.context, &parsed, bytes) == 1 else { return nil }
        if cache.parsed.count >= capacity { cache.parsed.removeAll(keepingCapacity: true) }
        cache.parsed[key] = parsed
        return parsed
    }
}

extension PublicKey: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout WireReader) throws(WireError) {
        let raw = try reader.readFixed(count: PublicKey.byteCount)
        do {
            try self.init(bytes: raw)
        } catch {
            throw .invalidValue(field: "public key", reason: error.description)
        }
    }
}

extension PublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(hex: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A 64-byte BIP-340 signature. Any 64 bytes form one; validity is decided by
/// `PublicKey.verify`, which rejects r not below p and s not below n.
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 64
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Signature.byteCount else {
            throw .invalidLength(what: "signature", expected: Signature.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    public init(hex: String) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else { throw .invalidHex(what: "signature") }
        try self.init(bytes: bytes)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

extension Signature: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.writeFixed(bytes) }

    public init(from reader: inout WireReader) throws(WireError) {
        bytes = try reader.readFixed(count: Signature.byteCount)
    }
}

extension Signature: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(hex: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A secp256k1 secret key with its keypair. Never printed, never encoded on the wire.
public struct PrivateKey: Sendable {
    public static let byteCount = 32
    private let secret: [UInt8]
    private let keypair: secp256k1_keypair
    public let publicKey: PublicKey

    public init(secretBytes: [UInt8]) throws(CryptoError) {
        guard secretBytes.count == PrivateKey.byteCount else {
            throw .invalidLength(what: "secret key", expected: PrivateKey.byteCount, actual: secretBytes.count)
        }
        var keypair = secp256k1_keypair()
        guard secp256k1_keypair_create(Secp256k1.context, &keypair, secretBytes) == 1 else {
            throw .invalidSecretKey
        }
        var xonly = secp256k1_xonly_pubkey()
        var parity: Int32 = 0
        let ok = secp256k1_keypair_xonly_pub(Secp256k1.context, &xonly, &parity, &keypair)
        precondition(ok == 1, "secp256k1_keypair_xonly_pub failed for a valid keypair")
        var serialized = [UInt8](repeating: 0, count: PublicKey.byteCount)
        let serializedOK = secp256k1_xonly_pubkey_serialize(Secp256k1.context, &serialized, &xonly)
        precondition(serializedOK == 1, "secp256k1_xonly_pubkey_serialize failed")
        secret = secretBytes
        self.keypair = keypair
        publicKey = try PublicKey(bytes: serialized)
    }

    /// A fresh key from the system's secure random source.
    public static func generate() -> PrivateKey {
        while true {
            // A random 32-byte string is out of range with probability ~2^-128.
            if let key = try? PrivateKey(secretBytes: SecureRandom.bytes(32)) { return key }
        }
    }

    /// A key derived from a seed: for the simulator and tests only, where runs must
    /// replay. Never use it for a key that guards value.
    public static func deterministic(seed: String) -> PrivateKey {
        var counter: UInt32 = 0
        while true {
            let material = Digest.sha256("poe/v1/deterministic-key/\(seed)/\(counter)").bytes
            if let key = try? PrivateKey(secretBytes: material) { return key }
            counter += 1
        }
    }

    /// The secret scalar, for writing the key file. Handle with care.
    public var secretBytes: [UInt8] { secret }

    /// Signs `message` in `domain`. The nonce is derived from the key and the message
    /// (BIP-340 with no auxiliary randomness), so signing is deterministic: a replayed
    /// simulation produces the same bytes.
    public func sign(_ message: [UInt8], domain: SigningDomain) -> Signature {
        sign(digest: domain.messageDigest(message), auxiliaryRandomness: nil)
    }

    /// BIP-340 signing of a raw 32-byte message. Only the test vectors need this.
    public func sign(digest: Digest, auxiliaryRandomness: [UInt8]?) -> Signature {
        precondition(auxiliaryRandomness == nil || auxiliaryRandomness!.count == 32)
        var signature = [UInt8](repeating: 0, count: Signature.byteCount)
        var keypair = self.keypair
        let ok = digest.withUnsafeBytes { message in
            secp256k1_schnorrsig_sign32(
                Secp256k1.context, &signature, message.baseAddress!.assumingMemoryBound(to: UInt8.self),
                &keypair, auxiliaryRandomness)
        }
        precondition(ok == 1, "secp256k1_schnorrsig_sign32 failed for a valid keypair")
        return try! Signature(bytes: signature)
    }
}
