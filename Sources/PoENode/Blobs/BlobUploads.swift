import NIOConcurrencyHelpers
public import PoECrypto

/// Why an upload was refused, with the HTTP status the API answers.
public enum BlobRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// 507: the store as a whole is full.
    case storeFull(chargedBytes: Int, maxBytes: Int)
    /// 429: the account holds its quota of uploads no job names yet.
    case accountQuota(account: PublicKey, pendingBytes: Int, maxBytes: Int)
    /// 429: the node holds as many unnamed uploads as it tracks.
    case tooManyPending(count: Int)

    public var description: String {
        switch self {
        case .storeFull(let charged, let max):
            return "this node's blob store is full (\(charged) of \(max) bytes); retry after old blobs expire, or use another node"
        case .accountQuota(let account, let pending, let max):
            return "account \(account.short) has \(pending) bytes of uploads that no job names yet (quota \(max)); "
                + "submit the jobs that use them, or wait until they expire"
        case .tooManyPending(let count):
            return "this node holds \(count) uploads that no job names yet, its bound; retry later"
        }
    }
}

/// The node's account of its blob store: bytes charged in all, and the uploads no job
/// names yet, per account. Uploads are admitted against it; the janitor's sweeps correct
/// it from what is really on disk. Memory is bounded by `pendingUploadsMax`.
public final class BlobUploads: Sendable {
    struct Pending: Equatable {
        var owner: PublicKey
        var charge: Int
    }

    struct State {
        /// Bytes charged at the last sweep plus those admitted since it began.
        var storeCharged = 0
        var chargedSinceSweepBegan = 0
        var pending: [Digest: Pending] = [:]
        var pendingByOwner: [PublicKey: Int] = [:]
        var refusedTotal = 0
        var deletedTotal = 0
    }

    public let limits: BlobLimits
    private let state: NIOLockedValueBox<State>

    /// `storeCharged`: what the store already holds, measured by a sweep at start.
    public init(limits: BlobLimits, storeCharged: Int) {
        precondition(storeCharged >= 0, "a store holds a non-negative number of bytes")
        self.limits = limits
        self.state = NIOLockedValueBox(State(storeCharged: storeCharged))
    }

    /// Reserves room for a new blob of `byteCount` bytes uploaded by `owner`, or says why not.
    public func admit(_ digest: Digest, byteCount: Int, owner: PublicKey) throws(BlobRefusal) {
        let charge = BlobLimits.charge(byteCount)
        let limits = self.limits
        let refusal: BlobRefusal? = state.withLockedValue { state in
            if state.pending[digest] != nil { return nil }
            if state.pending.count >= limits.pendingUploadsMax { return .tooManyPending(count: state.pending.count) }
            let owned = state.pendingByOwner[owner, default: 0]
            if owned + charge > limits.accountBytesMax {
                return .accountQuota(account: owner, pendingBytes: owned, maxBytes: limits.accountBytesMax)
            }
            if state.storeCharged + charge > limits.storeBytesMax {
                return .storeFull(chargedBytes: state.storeCharged, maxBytes: limits.storeBytesMax)
            }
            state.pending[digest] = Pending(owner: owner, charge: charge)
            state.pendingByOwner[owner] = owned + charge
            state.storeCharged += charge
            state.chargedSinceSweepBegan += charge
            return nil
        }
        if refusal != nil { state.withLockedValue { $0.refusedTotal += 1 } }
        if let refusal { throw refusal }
    }

    /// Gives back a reservation whose blob was never written.
    public func cancel(_ digest: Digest) {
        state.withLockedValue { state in
            guard let pending = state.pending.removeValue(forKey: digest) else { return }
            state.release(pending)
            state.storeCharged -= pending.charge
            state.chargedSinceSweepBegan = max(0, state.chargedSinceSweepBegan - pending.charge)
        }
    }

    /// A sweep starts measuring the store: uploads admitted from now on are added to it.
    func sweepBegan() {
        state.withLockedValue { $0.chargedSinceSweepBegan = 0 }
    }

    /// A sweep measured `measuredCharge` bytes on disk after deleting `deleted`; uploads
    /// that a job now names (`inUse`) stop counting against their account.
    func sweepEnded(measuredCharge: Int, inUse: Set<Digest>, deleted: Set<Digest>, deletedCount: Int) {
        state.withLockedValue { state in
            state.deletedTotal += deletedCount
            state.storeCharged = measuredCharge + state.chargedSinceSweepBegan
            state.chargedSinceSweepBegan = 0
            for (digest, pending) in state.pending where inUse.contains(digest) || deleted.contains(digest) {
                state.pending[digest] = nil
                state.release(pending)
            }
        }
    }

    public struct Usage: Sendable, Equatable {
        public var storeCharged: Int
        public var pendingUploads: Int
        /// Uploads refused since the node started (any reason).
        public var refusedTotal: Int
        /// Blobs the janitor deleted since the node started.
        public var deletedTotal: Int
    }

    public var usage: Usage {
        state.withLockedValue { state in
            Usage(
                storeCharged: state.storeCharged, pendingUploads: state.pending.count,
                refusedTotal: state.refusedTotal,
                deletedTotal: state.deletedTotal)
        }
    }

    func isPending(_ digest: Digest) -> Bool {
        state.withLockedValue { $0.pending[digest] != nil }
    }

    /// Bytes of `owner`'s uploads that no job names yet.
    public func pendingBytes(of owner: PublicKey) -> Int {
        state.withLockedValue { $0.pendingByOwner[owner, default: 0] }
    }
}

extension BlobUploads.State {
    fileprivate mutating func release(_ pending: BlobUploads.Pending) {
        let left = pendingByOwner[pending.owner, default: 0] - pending.charge
        assert(left >= 0, "an account's pending bytes went negative")
        pendingByOwner[pending.owner] = left > 0 ? left : nil
    }
}
