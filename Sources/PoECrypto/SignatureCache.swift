import Synchronization

/// Signatures already verified, so that one signature costs one verification per node
/// however many paths it arrives by (the API, a relayed copy, the primary's batch, the
/// ledger). Only successes are remembered, and verification is a pure function, so a
/// hit returns exactly what verifying again would: the cache changes cost, never a
/// result. Bounded: the oldest entries are forgotten first.
public final class SignatureCache: Sendable {
    private struct State {
        var members: Set<Digest> = []
        var order: [Digest] = []
        var head = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 1 << 18) {
        precondition(capacity > 0, "a signature cache holds at least one entry")
        self.capacity = capacity
    }

    /// `key.verify(signature, for: message, domain: domain)`, remembered.
    public func verify(_ signature: Signature, by key: PublicKey, for message: [UInt8], domain: SigningDomain) -> Bool {
        let digest = domain.messageDigest(message)
        var hasher = SHA256Hasher()
        hasher.update(key.bytes)
        hasher.update(signature.bytes)
        digest.withUnsafeBytes { hasher.update($0) }
        let entry = hasher.finalize()
        if state.withLock({ $0.members.contains(entry) }) { return true }
        guard key.verify(signature, digest: digest) else { return false }
        state.withLock { state in
            guard state.members.insert(entry).inserted else { return }
            state.order.append(entry)
            if state.members.count > capacity {
                state.members.remove(state.order[state.head])
                state.head += 1
            }
            if state.head >= capacity {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
        return true
    }

    public var count: Int { state.withLock { $0.members.count } }
}
