public import PBFT
public import PoECrypto
public import PoEWire

/// What nodes say to each other on the peer port (inside the sealed frames).
public enum PeerMessage: Sendable, Equatable {
    /// The largest blob that travels between peers; a frame must hold it.
    public static let blobBytesMax = 2 << 20
    /// The largest state archive a node serves or accepts. The state grows for good by one
    /// anchor per finalized job (72 bytes), so this is what bounds a chain's age: some
    /// 900,000 finalized jobs, against 40,000 when an archive had to fit one message.
    public static let stateArchiveBytesMax = 64 << 20
    /// The largest piece of an archive one message carries: an archive travels in chunks.
    public static let stateChunkBytesMax = 1 << 20

    case consensus(Message)
    /// A client request relayed to every replica, so that a censoring primary is noticed.
    case request(ClientRequest)
    case blobRequest(Digest)
    case blobResponse(Digest, [UInt8])
    /// Asks for the state at a stable checkpoint, from byte `offset` of its archive.
    case stateRequest(sequence: UInt64, offset: UInt64)
    /// Bytes `offset..<offset + chunk.count` of the archive at `sequence` (the ledger
    /// snapshot and client table, as `StateArchive` encodes them), `total` bytes in all.
    case stateResponse(sequence: UInt64, offset: UInt64, total: UInt64, chunk: [UInt8])
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
        case .stateRequest(let sequence, let offset):
            writer.write(UInt8(5))
            writer.write(sequence)
            writer.write(offset)
        case .stateResponse(let sequence, let offset, let total, let chunk):
            writer.write(UInt8(6))
            writer.write(sequence)
            writer.write(offset)
            writer.write(total)
            writer.writeBytes(chunk, bound: PeerMessage.stateChunkBytesMax)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        switch try reader.readUInt8() {
        case 1: self = .consensus(try reader.read())
        case 2: self = .request(try reader.read())
        case 3: self = .blobRequest(try reader.read())
        case 4:
            self = .blobResponse(try reader.read(), try reader.readBytes(bound: PeerMessage.blobBytesMax, field: "blob"))
        case 5: self = .stateRequest(sequence: try reader.readUInt64(), offset: try reader.readUInt64())
        case 6:
            let sequence = try reader.readUInt64()
            let offset = try reader.readUInt64()
            let total = try reader.readUInt64()
            let chunk = try reader.readBytes(bound: PeerMessage.stateChunkBytesMax, field: "state chunk")
            guard total <= PeerMessage.stateArchiveBytesMax else {
                throw .lengthOverBound(field: "state archive", length: total, bound: PeerMessage.stateArchiveBytesMax)
            }
            guard !chunk.isEmpty, offset <= total, UInt64(chunk.count) <= total - offset else {
                throw .invalidValue(field: "state chunk", reason: "\(chunk.count) bytes at \(offset) of \(total)")
            }
            self = .stateResponse(sequence: sequence, offset: offset, total: total, chunk: chunk)
        case let tag: throw .invalidTag(field: "peer message", tag: tag)
        }
    }
}
