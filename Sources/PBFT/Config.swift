public import PoECrypto

/// A replica's index in the configuration's replica list (also the wire identity).
public typealias ReplicaID = UInt16

/// Hard bounds that hold whatever a configuration or a peer says.
public enum Limits {
    /// Most replicas in one configuration (bounds every certificate's count on the wire).
    public static let replicasMax = 64
    /// Most requests in one batch, whatever the configured batch size.
    public static let batchRequestsMax = 256
    /// Largest log window (high minus low watermark), in sequence numbers.
    public static let windowSizeMax = 1024
    /// Largest client operation, in bytes (the shared request convention).
    public static let operationBytesMax = 65_536
    /// Most operation bytes a primary puts in one batch: a pre-prepare then fits a peer
    /// frame (4 MiB) with room, whatever requests the primary was sent. A batch is closed
    /// at this or at `batchSizeMax` requests, whichever comes first.
    public static let batchOperationBytesMax = 1 << 20
    /// Views and sequence numbers beyond this are refused, so `+ 1` never overflows.
    public static let numberMax: UInt64 = 1 << 62
    /// Longest view-change timeout multiplier exponent (timeouts double up to 2^6).
    public static let timeoutDoublingsMax: UInt64 = 6
}

/// Quorum arithmetic for any number of replicas, not only 3f+1.
///
/// f = floor((n-1)/3) faults are tolerated. A quorum has ceil((n+f+1)/2) replicas, so
/// any two quorums share at least f+1 replicas (one of them honest), and n - f honest
/// replicas still form a quorum (liveness). A weak certificate has f+1 replicas.
public struct Quorum: Sendable, Equatable {
    public let replicaCount: Int
    public let faultsMax: Int
    public let quorum: Int
    public let weak: Int

    public init(replicaCount n: Int) {
        precondition(n >= 1 && n <= Limits.replicasMax, "replica count \(n) out of 1...\(Limits.replicasMax)")
        replicaCount = n
        faultsMax = (n - 1) / 3
        quorum = (n + faultsMax + 1 + 1) / 2
        weak = faultsMax + 1
        precondition(2 * quorum - n >= faultsMax + 1, "quorums must intersect in f+1")
        precondition(quorum <= n - faultsMax, "honest replicas must form a quorum")
    }
}

/// The certified checkpoint a configuration starts from. The first configuration starts
/// from the genesis; each later one from the last checkpoint of the configuration before
/// it, whose stable proof (a quorum of the old set) the shell checked before building the
/// new configuration. Inside the configuration it is what the genesis is to the first:
/// a stable checkpoint that needs no proof.
public struct Origin: Sendable, Equatable {
    public let sequence: UInt64
    /// The checkpoint digest (client table and application digest) at `sequence`.
    public let digest: Digest

    public init(sequence: UInt64, digest: Digest) {
        self.sequence = sequence
        self.digest = digest
    }

    public static let genesis = Origin(sequence: 0, digest: Replica.genesisDigest)
}

/// Everything a replica needs to know that all replicas share.
public struct Config: Sendable {
    public let chainID: Digest
    /// Bound into every signature: nothing signed in one configuration counts in another.
    public let epoch: UInt64
    /// The configuration orders sequence numbers after this checkpoint ...
    public let origin: Origin
    /// ... up to this one, a checkpoint sequence, and no further (nil: no end). Its high
    /// watermark stops here, so each sequence number belongs to one configuration only
    /// (docs/PROTOCOL.md, "Reconfiguration at epoch boundaries").
    public let lastSequence: UInt64?
    /// Replica public keys; the index is the `ReplicaID`. The primary of view v is v mod n.
    public let replicas: [PublicKey]
    /// K: a checkpoint every K sequence numbers.
    public let checkpointInterval: UInt64
    /// L: high watermark = low watermark + L. A multiple of K.
    public let windowSize: UInt64
    public let batchSizeMax: Int
    /// How long the primary holds a partial batch before proposing it.
    public let batchDelayTicks: UInt64
    /// Base view-change timeout; doubles per consecutive view change.
    public let viewChangeTimeoutTicks: UInt64
    /// Period of retransmission of this replica's own votes (lossy links).
    public let retransmitTicks: UInt64
    /// While the application wants progress (`Event.progressWanted`) and no request
    /// waits, the primary proposes an empty batch after this many idle ticks; nil never.
    public let emptyBatchTicks: UInt64?
    public let pendingRequestsMax: Int
    public let clientTableMax: Int
    /// A deliberately WRONG rule, for the simulator's broken-variant test only: the new
    /// primary ignores prepared certificates and fills the new view with null batches.
    public var unsafeIgnorePreparedCertificatesInNewView = false

    public let quorum: Quorum

    public init(
        chainID: Digest, epoch: UInt64 = 0, origin: Origin = .genesis, lastSequence: UInt64? = nil, replicas: [PublicKey],
        checkpointInterval: UInt64 = 8, windowSize: UInt64 = 16, batchSizeMax: Int = 8,
        batchDelayTicks: UInt64 = 1, viewChangeTimeoutTicks: UInt64 = 40, retransmitTicks: UInt64 = 10,
        pendingRequestsMax: Int = 1024, clientTableMax: Int = 4096, emptyBatchTicks: UInt64? = nil
    ) {
        precondition(!replicas.isEmpty && replicas.count <= Limits.replicasMax, "replica count out of bounds")
        precondition(Set(replicas).count == replicas.count, "replica keys must be distinct")
        precondition(checkpointInterval >= 1, "checkpoint interval must be positive")
        precondition(windowSize >= checkpointInterval && windowSize % checkpointInterval == 0,
                     "window \(windowSize) must be a positive multiple of K=\(checkpointInterval)")
        precondition(windowSize <= UInt64(Limits.windowSizeMax), "window over \(Limits.windowSizeMax)")
        precondition(origin.sequence % checkpointInterval == 0 && origin.sequence < Limits.numberMax,
                     "origin \(origin.sequence) is not a checkpoint sequence")
        precondition(lastSequence.map { $0 > origin.sequence && $0 % checkpointInterval == 0 && $0 < Limits.numberMax } ?? true,
                     "last sequence \(lastSequence ?? 0) is not a checkpoint sequence after the origin")
        precondition(batchSizeMax >= 1 && batchSizeMax <= Limits.batchRequestsMax, "batch size out of bounds")
        precondition(viewChangeTimeoutTicks >= 1 && retransmitTicks >= 1, "timeouts must be positive")
        precondition(emptyBatchTicks.map { $0 >= 1 } ?? true, "the empty-batch interval must be positive")
        precondition(pendingRequestsMax >= 1 && clientTableMax >= 1, "tables must hold something")
        self.chainID = chainID
        self.epoch = epoch
        self.origin = origin
        self.lastSequence = lastSequence
        self.replicas = replicas
        self.checkpointInterval = checkpointInterval
        self.windowSize = windowSize
        self.batchSizeMax = batchSizeMax
        self.batchDelayTicks = batchDelayTicks
        self.viewChangeTimeoutTicks = viewChangeTimeoutTicks
        self.retransmitTicks = retransmitTicks
        self.emptyBatchTicks = emptyBatchTicks
        self.pendingRequestsMax = pendingRequestsMax
        self.clientTableMax = clientTableMax
        self.quorum = Quorum(replicaCount: replicas.count)
    }

    public var replicaCount: Int { replicas.count }

    /// Whether `sequence` is one this configuration may vote on.
    public func orders(_ sequence: UInt64) -> Bool {
        sequence > origin.sequence && sequence <= (lastSequence ?? Limits.numberMax)
    }

    public func primary(of view: UInt64) -> ReplicaID {
        ReplicaID(view % UInt64(replicas.count))
    }

    /// The view-change timeout after `doublings` consecutive view changes.
    public func viewChangeTimeout(doublings: UInt64) -> UInt64 {
        viewChangeTimeoutTicks << min(doublings, Limits.timeoutDoublingsMax)
    }
}
