import PoECrypto
public import PoEWire

/// The client table travels with a state transfer. Entries go in key order, each key
/// once, so the encoding is canonical; the capacity travels too, since it is part of
/// the replicated state (eviction depends on it).
extension ClientTable: WireCodable {
    /// The largest table a peer may send.
    public static let wireCapacityMax = 1 << 20

    public func encode(to writer: inout WireWriter) {
        writer.write(UInt32(capacity))
        writer.write(UInt32(entries.count))
        for (client, entry) in entries.sorted(by: { $0.key < $1.key }) {
            writer.write(client)
            writer.write(entry.timestamp)
            writer.write(entry.sequence)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let capacity = Int(try reader.readUInt32())
        guard capacity >= 1, capacity <= ClientTable.wireCapacityMax else {
            throw .invalidValue(field: "client table", reason: "capacity \(capacity) out of range")
        }
        let count = Int(try reader.readUInt32())
        guard count <= capacity else {
            throw .lengthOverBound(field: "client table", length: UInt64(count), bound: capacity)
        }
        // Each entry is 48 bytes: refuse a count the input cannot hold before looping.
        guard count * 48 <= reader.remaining else { throw .truncated(needed: count * 48, remaining: reader.remaining) }
        var table = ClientTable(capacity: capacity)
        var previous: PublicKey?
        for _ in 0..<count {
            let client: PublicKey = try reader.read()
            if let previous, !(previous < client) {
                throw .invalidValue(field: "client table", reason: "entries not in strictly increasing key order")
            }
            previous = client
            table.entries[client] = Entry(timestamp: try reader.readUInt64(), sequence: try reader.readUInt64())
        }
        self = table
    }
}
