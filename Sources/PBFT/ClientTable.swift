public import PoECrypto
import PoEWire

/// The last executed timestamp of each client: what makes execution exactly-once.
///
/// Part of the replicated state (covered by checkpoint digests, copied by state transfer).
/// Bounded by `capacity`: when a new client arrives at a full table, the entry executed
/// longest ago (lowest sequence, then lowest key) is evicted — deterministic on every
/// replica. An evicted client's old requests could execute again; the ledger's nonces
/// are the second line of defence (see docs/PROTOCOL.md).
public struct ClientTable: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public let timestamp: UInt64
        public let sequence: UInt64
    }

    public let capacity: Int
    public internal(set) var entries: [PublicKey: Entry] = [:]

    public init(capacity: Int) {
        precondition(capacity >= 1, "client table capacity must be positive")
        self.capacity = capacity
    }

    /// True if the request was not executed yet (its timestamp is newer than the client's last).
    public func isFresh(_ key: RequestKey) -> Bool {
        guard let entry = entries[key.client] else { return true }
        return key.timestamp > entry.timestamp
    }

    public mutating func record(_ key: RequestKey, sequence: UInt64) {
        precondition(isFresh(key), "recording a request that is not fresh")
        if entries[key.client] == nil && entries.count >= capacity { evictOldest() }
        entries[key.client] = Entry(timestamp: key.timestamp, sequence: sequence)
        precondition(entries.count <= capacity, "client table over capacity")
    }

    private mutating func evictOldest() {
        let victim = entries.min { lhs, rhs in
            lhs.value.sequence != rhs.value.sequence ? lhs.value.sequence < rhs.value.sequence : lhs.key < rhs.key
        }
        if let victim { entries[victim.key] = nil }
    }

    /// Digest over the entries in key order.
    public var digest: Digest {
        var writer = WireWriter()
        writer.write(UInt32(entries.count))
        for (client, entry) in entries.sorted(by: { $0.key < $1.key }) {
            writer.write(client)
            writer.write(entry.timestamp)
            writer.write(entry.sequence)
        }
        return Digest.sha256(writer.bytes)
    }

    /// The digest a checkpoint certifies: the application's digest and this table.
    public func checkpointDigest(appDigest: Digest) -> Digest {
        Digest.sha256(appDigest.bytes + digest.bytes)
    }
}
