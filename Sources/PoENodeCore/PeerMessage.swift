public import PBFT
public import PoECrypto
public import PoEWire

/// What nodes say to each other on the peer port (inside the sealed frames).
public enum PeerMessage: Sendable, Equatable {
    /// The largest blob that travels between peers; a frame must hold it.
    public static let blobBytesMax = 2 << 20
    /// The largest ledger snapshot a state transfer carries.
    public static let snapshotBytesMax = 3 << 20

    case consensus(Message)
    /// A client request relayed to every replica, so that a censoring primary is noticed.
    case request(ClientRequest)
    case blobRequest(Digest)
    case blobResponse(Digest, [UInt8])
    /// Asks for the state at a stable checkpoint.
    case stateRequest(sequence: UInt64)
    /// The ledger snapshot and client table at `sequence`, as `StateArchive` encodes them.
    case stateResponse(sequence: UInt64, archive: [UInt8])
}

extension PeerMessage: WireCodable {
    public func encode(to writer: inout WireWriter) {
        switch self {
        case .consensus(let message):
            writer.write(UInt8(1))
            writer.write(message)
        case .request(let request):
            writer.write(UInt8(2))
            writer.write(request)
        case .blobRequest(let digest):
            writer.write(UInt8(3))
            writer.write(digest)
        case .blobResponse(let digest, let bytes):
            writer.write(UInt8(4))
            writer.write(digest)
            writer.writeBytes(bytes, bound: PeerMessage.blobBytesMax)
        case .stateRequest(let sequence):
            writer.write(UInt8(5))
            writer.write(sequence)
        case .stateResponse(let sequence, let archive):
            writer.write(UInt8(6))
            writer.write(sequence)
            writer.writeBytes(archive, bound: PeerMessage.snapshotBytesMax)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        switch try reader.readUInt8() {
        case 1: self = .consensus(try reader.read())
        case 2: self = .request(try reader.read())
        case 3: self = .blobRequest(try reader.read())
        case 4:
            self = .blobResponse(try reader.read(), try reader.readBytes(bound: PeerMessage.blobBytesMax, field: "blob"))
        case 5: self = .stateRequest(sequence: try reader.readUInt64())
        case 6:
            self = .stateResponse(
                sequence: try reader.readUInt64(),
                archive: try reader.readBytes(bound: PeerMessage.snapshotBytesMax, field: "archive"))
        case let tag: throw .invalidTag(field: "peer message", tag: tag)
        }
    }
}
