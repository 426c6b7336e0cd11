public import PBFT
public import PoECrypto
public import PoEWire

/// The on-disk encoding of what a replica persists. One tag per record kind; the
/// payloads reuse the wire encodings of the messages, which are already strict.
extension PersistedRecord: WireCodable {
    static let proofCountMax = Limits.replicasMax

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .signed(let message):
            writer.write(UInt8(1))
            writer.write(message)
        case .prepared(let certificate):
            writer.write(UInt8(2))
            writer.write(certificate)
        case .stableCheckpoint(let sequence, let digest, let proof):
            writer.write(UInt8(3))
            writer.write(sequence)
            writer.write(digest)
            writer.writeArray(proof, bound: PersistedRecord.proofCountMax)
        case .view(let view, let changing):
            writer.write(UInt8(4))
            writer.write(view)
            writer.write(changing)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        switch try reader.readUInt8() {
        case 1: self = .signed(try reader.read())
        case 2: self = .prepared(try reader.read())
        case 3:
            self = .stableCheckpoint(
                sequence: try reader.readUInt64(), digest: try reader.read(),
                proof: try reader.readArray(bound: PersistedRecord.proofCountMax, field: "checkpoint proof"))
        case 4: self = .view(try reader.readUInt64(), changing: try reader.readBool(field: "changing"))
        case let tag: throw .invalidTag(field: "persisted record", tag: tag)
        }
    }
}
