public import PoECrypto
public import PoEWire

/// The first frame each side sends on a new link, in the clear.
public struct LinkHello: WireCodable, Equatable, Sendable {
    public static let protocolVersion: UInt16 = 1
    /// The encoding's fixed size: version, chain digest, node key, ephemeral key.
    public static let wireByteCount =
        MemoryLayout<UInt16>.size + Digest.byteCount + PublicKey.byteCount + X25519PrivateKey.byteCount

    public var version: UInt16
    /// SHA-256 of the chain ID: links never cross chains.
    public var chain: Digest
    /// The node key the sender claims; proven by its `LinkAuth`.
    public var nodeKey: PublicKey
    /// A fresh X25519 key for this link only.
    public var ephemeralKey: [UInt8]

    public init(version: UInt16, chain: Digest, nodeKey: PublicKey, ephemeralKey: [UInt8]) {
        precondition(ephemeralKey.count == X25519PrivateKey.byteCount)
        self.version = version
        self.chain = chain
        self.nodeKey = nodeKey
        self.ephemeralKey = ephemeralKey
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(version)
        writer.write(chain)
        writer.write(nodeKey)
        writer.writeFixed(ephemeralKey)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        version = try reader.readUInt16()
        chain = try reader.read()
        nodeKey = try reader.read()
        ephemeralKey = try reader.readFixed(count: X25519PrivateKey.byteCount)
    }
}

/// The second frame: the sender's node-key signature over the transcript of both
/// hellos and its own role, so it can neither be replayed on another link nor
/// reflected back to its sender.
public struct LinkAuth: WireCodable, Equatable, Sendable {
    /// The encoding's fixed size: one signature.
    public static let wireByteCount = Signature.byteCount

    public var signature: Signature

    public init(signature: Signature) { self.signature = signature }

    public func encode(to writer: inout WireWriter) { writer.write(signature) }
    public init(from reader: inout WireReader) throws(WireError) { signature = try reader.read() }
}

/// Which end of the TCP connection a node is.
public enum LinkRole: UInt8, Sendable {
    case initiator = 0
    case responder = 1

    var other: LinkRole {
        switch self {
        case .initiator: return .responder
        case .responder: return .initiator
        }
    }
}
