public import PoEWire
import COpenSSL

/// A SHA-256 digest. Stored inline (four words), so digests cost no allocation and
/// compare in four instructions: the consensus core holds many of them.
public struct Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let zero = Digest(words: (0, 0, 0, 0))

    private var words: (UInt64, UInt64, UInt64, UInt64)

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// Wraps 32 bytes that already are a digest (read from disk or the wire).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Digest.byteCount else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in raw.copyBytes(from: bytes) }
        self.words = words
    }

    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: UnsafeRawBufferPointer) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    public static func sha256(_ bytes: [UInt8]) -> Digest {
        bytes.withUnsafeBytes { sha256($0) }
    }

    public static func sha256(_ text: String) -> Digest { sha256(Array(text.utf8)) }

    /// SHA-256 over a canonical encoding: the digest of a value.
    public static func of(_ value: some WireEncodable) -> Digest { sha256(value.wireBytes) }

    public var bytes: [UInt8] { Swift.withUnsafeBytes(of: words) { Array($0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    /// The first eight hex digits, for logs and tables.
    public var short: String { String(hex.prefix(8)) }

    public static func == (lhs: Digest, rhs: Digest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
            && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Byte-wise (lexicographic) order, the order used wherever digests are sorted.
    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension Digest: WireCodable {
    public func encode(to writer: inout WireWriter) {
        withUnsafeBytes { writer.writeFixed($0) }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let raw = try reader.readFixed(count: Digest.byteCount)
        self = Digest(bytes: raw)!
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a 32-byte hex digest: \(text)"))
        }
        self = digest
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// Incremental SHA-256, for blobs that arrive in pieces.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        let ok = EVP_DigestInit_ex(context, OpenSSLDigests.sha256, nil)
        precondition(ok == 1, "EVP_DigestInit_ex(SHA-256) failed")
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        let ok = EVP_DigestUpdate(context, raw.baseAddress, raw.count)
        precondition(ok == 1, "EVP_DigestUpdate failed")
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: Digest.byteCount)
        var length: UInt32 = 0
        let ok = EVP_DigestFinal_ex(context, &out, &length)
        precondition(ok == 1 && length == 32, "EVP_DigestFinal_ex failed")
        return Digest(bytes: out)!
    }
}

/// Algorithms fetched once: an implicit fetch on every call costs more than hashing
/// a small message.
enum OpenSSLDigests {
    nonisolated(unsafe) static let sha256: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("OpenSSL has no SHA256") }
        return md
    }()
}
