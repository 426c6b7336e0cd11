public import PoECrypto
public import PoEDuties

/// What the API says about a transaction it accepted.
public enum TransactionStatus: Sendable, Equatable {
    case pending
    case committed(height: UInt64, jobID: Digest?)
    case rejected(height: UInt64, reason: String)
    /// Never ordered: the node had no room for it, or a later nonce overtook it. Nothing
    /// changed; submit it again (signed again, for an overtaken nonce).
    case refused(reason: String)
}

/// What the API and metrics read about the node: published by the loop after every group
/// of inputs, so reading it costs nothing (it never reads the ledger).
public struct NodeStatus: Sendable, Equatable, Codable {
    public var name: String
    public var nodeKey: String
    public var replicaID: Int
    /// The ledger height: the last sequence number applied.
    public var height: UInt64 = 0
    public var view: UInt64 = 0
    public var primary: Int = 0
    public var isPrimary = false
    public var viewChanging = false
    public var lastExecuted: UInt64 = 0
    public var stableCheckpoint: UInt64 = 0
    /// The ledger's state root at `stateRootHeight`, the last checkpoint this node executed
    /// or installed (computing a root reads the whole state, so it is done at checkpoints).
    public var stateRoot: String = Digest.zero.hex
    public var stateRootHeight: UInt64 = 0
    public var peersConnected = 0
    public var catchingUp = false
    public var inboxDropped = 0
    /// Bytes queued now in the node's inbox (bounded by `Node.inboxBytesMax`).
    public var inboxQueuedBytes = 0
    public var malformedPeerMessages = 0
    public var invalidPeerMessages = 0
    /// States installed from peers (after falling behind a stable checkpoint).
    public var stateTransfers = 0
    /// Restarts that resumed from this node's own durable checkpoint, asking no one.
    public var localResumes = 0
    /// Checkpoint archives that could not be written (the node then relies on peers).
    public var checkpointWriteFailures = 0
    /// Frames to peers dropped because a peer's bounded queue was full; PBFT's
    /// retransmission recovers them, at a cost in latency.
    public var peerFramesDropped = 0
    /// Bytes queued now for peers: frames waiting for a link, and frames written and not
    /// yet flushed (each bounded per peer).
    public var peerQueuedBytes = 0
    /// Peer-port connections that ended their handshake without a link (all reasons).
    public var handshakesRefused = 0
    /// Connections on the peer port now in their handshake.
    public var handshakesInProgress = 0
    /// Authenticated peer links that went down.
    public var peerLinksLost = 0
    /// Client requests waiting to be ordered and executed; at the bound, new ones are
    /// refused (HTTP 503).
    public var pendingRequests = 0
    /// Jobs this node is running, waiting for blobs for, or has attested and waits to see
    /// recorded.
    public var openJobs = 0
    /// Bytes the blob store is charged for (each blob at least 4 KiB), as of the janitor's
    /// last sweep plus the uploads admitted since.
    public var blobStoreBytes = 0
    /// Uploads no job names yet (each counts against its account's quota).
    public var blobUploadsPending = 0
    /// Uploads refused (store full, an account's quota, too many pending) since start.
    public var blobUploadsRefused = 0
    /// Blobs the janitor deleted (unreferenced, or past their retention) since start.
    public var blobsDeleted = 0
    public var duties = DutyCounters()
    /// Every replica as this node sees it from the signed messages it received.
    public var replicas: [ReplicaView] = []

    public init(name: String, nodeKey: String, replicaID: Int) {
        self.name = name
        self.nodeKey = nodeKey
        self.replicaID = replicaID
    }
}

/// One replica of the cluster, as this node sees it: the highest checkpoint and view it
/// has seen that replica sign (its own, for this node).
public struct ReplicaView: Sendable, Equatable, Codable {
    public var replicaID: Int
    public var nodeKey: String
    public var lastCheckpoint: UInt64
    public var lastView: UInt64

    public init(replicaID: Int, nodeKey: String, lastCheckpoint: UInt64, lastView: UInt64) {
        self.replicaID = replicaID
        self.nodeKey = nodeKey
        self.lastCheckpoint = lastCheckpoint
        self.lastView = lastView
    }
}

/// `Duties.Counters`, as the API shows them (the same fields, encoded as JSON).
public typealias DutyCounters = Duties.Counters
