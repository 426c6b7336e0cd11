public import PoECrypto
public import PoEExecutor
public import PoELedger

/// What the HTTP API needs from a running node. The node implements it; tests of the
/// API implement it with a ledger and a blob store of their own.
public protocol NodeBackend: Sendable {
    /// The node's state as of its last step.
    var status: NodeStatus { get }
    /// The ledger, for reads (accounts, validators, jobs, proofs).
    var ledger: Ledger { get }
    /// The content-addressed blobs: uploaded code and input, and job outputs and logs.
    var blobs: BlobStore { get }
    /// The fate of a transaction this node has seen, or nil.
    func transactionStatus(_ id: Digest) -> TransactionStatus?
    /// Checks the signature and hands the transaction to consensus.
    func submit(_ transaction: SignedTransaction) throws(SubmitError)
    /// The Prometheus text exposition of the node's metrics.
    func metricsText() -> String
}

public enum SubmitError: Error, Equatable, Sendable, CustomStringConvertible {
    case badSignature
    case overloaded

    public var description: String {
        switch self {
        case .badSignature: return "the transaction's signature does not verify for its sender"
        case .overloaded: return "the node has no room for more requests now; retry later"
        }
    }
}

/// What the API says about a transaction it accepted.
public enum TransactionStatus: Sendable, Equatable {
    case pending
    case committed(height: UInt64, jobID: Digest?)
    case rejected(height: UInt64, reason: String)
    /// Never ordered: the node had no room for it. Nothing changed; submit it again.
    case refused(reason: String)
}

/// What the API and metrics read about the node; published after every step.
public struct NodeStatus: Sendable, Equatable, Codable {
    public var name: String
    public var nodeKey: String
    public var replicaID: Int
    /// The ledger height: the last sequence number applied.
    public var height: UInt64
    public var view: UInt64
    public var primary: Int
    public var isPrimary: Bool
    public var viewChanging: Bool
    public var lastExecuted: UInt64
    public var stableCheckpoint: UInt64
    /// The ledger's state root at `height`.
    public var stateRoot: String
    public var peersConnected: Int
    public var catchingUp: Bool
    public var inboxDropped: Int
    public var malformedPeerMessages: Int
    public var invalidPeerMessages: Int
    /// States installed from peers (after falling behind a stable checkpoint).
    public var stateTransfers: Int
    /// Frames to peers dropped because a peer's bounded queue was full; PBFT's
    /// retransmission recovers them, at a cost in latency.
    public var peerFramesDropped: Int
    /// Client requests waiting to be ordered and executed; at the bound, new ones are
    /// refused (HTTP 503).
    public var pendingRequests: Int

    public init(
        name: String, nodeKey: String, replicaID: Int, height: UInt64, view: UInt64, primary: Int,
        isPrimary: Bool, viewChanging: Bool, lastExecuted: UInt64, stableCheckpoint: UInt64, stateRoot: String,
        peersConnected: Int, catchingUp: Bool, inboxDropped: Int, malformedPeerMessages: Int,
        invalidPeerMessages: Int, stateTransfers: Int = 0, peerFramesDropped: Int = 0,
        pendingRequests: Int = 0
    ) {
        self.name = name
        self.nodeKey = nodeKey
        self.replicaID = replicaID
        self.height = height
        self.view = view
        self.primary = primary
        self.isPrimary = isPrimary
        self.viewChanging = viewChanging
        self.lastExecuted = lastExecuted
        self.stableCheckpoint = stableCheckpoint
        self.stateRoot = stateRoot
        self.peersConnected = peersConnected
        self.catchingUp = catchingUp
        self.inboxDropped = inboxDropped
        self.malformedPeerMessages = malformedPeerMessages
        self.invalidPeerMessages = invalidPeerMessages
        self.stateTransfers = stateTransfers
        self.peerFramesDropped = peerFramesDropped
        self.pendingRequests = pendingRequests
    }
}
