import Synchronization

/// Signatures already verified, so that one signature costs one verification per node
/// however many paths it arrives by (the API, a relayed copy, the primary's batch, the
/// ledger). Only successes are remembered, and verification is a pure function, so a
/// hit returns exactly what verifying again would: the cache changes cost, never a
/// result.
///
/// Bounded by construction, and flat: one table of `capacity` entries, allocated and
/// written when the cache is made, so a node's memory for it is the same from the first
/// verification to the billionth (a set and an eviction list grew toward their bound for
/// half an hour of the soak, PERFORMANCE.md). An entry's place is fixed by its own bits
/// (a SHA-256 output, so uniform) and a newer entry replaces whatever sat there: an
/// eviction costs one verification again, nothing more. Copies of one signature arrive
/// within seconds of each other, far fewer entries apart than the table holds.
public final class SignatureCache: Sendable {
    public let capacity: Int
    private let table: Mutex<[Digest]>

    /// `capacity` is rounded up to a power of two; each entry takes 32 bytes.
    public init(capacity: Int = 1 << 16) {
        precondition(capacity > 0 && capacity <= 1 << 24, "a signature cache holds 1 to 2^24 entries")
        var rounded = 1
        while rounded < capacity { rounded <<= 1 }
        self.capacity = rounded
        // `Digest.zero` marks a free entry: no SHA-256 output is zero in practice, and one
        // that were is simply never cached (`verify` checks).
        table = Mutex([Digest](repeating: .zero, count: rounded))
    }

    /// `key.verify(signature, for: message, domain: domain)`, remembered.
    public func verify(_ signature: Signature, by key: PublicKey, for message: [UInt8], domain: SigningDomain) -> Bool {
        let digest = domain.messageDigest(message)
        var hasher = SHA256Hasher()
        hasher.update(key.bytes)
        hasher.update(signature.bytes)
        digest.withUnsafeBytes { hasher.update($0) }
        let entry = hasher.finalize()
        let index = entry.withUnsafeBytes { Int(truncatingIfNeeded: $0.loadUnaligned(as: UInt64.self)) } & (capacity - 1)
        if entry != .zero, table.withLock({ $0[index] == entry }) { return true }
        guard key.verify(signature, digest: digest) else { return false }
        if entry != .zero { table.withLock { $0[index] = entry } }
        return true
    }

    /// Entries held: a walk over the whole table, for tests and reports.
    public var count: Int { table.withLock { $0.count(where: { $0 != .zero }) } }
}
