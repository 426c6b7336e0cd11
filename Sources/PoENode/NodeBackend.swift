public import PoENodeCore
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
    /// The account of uploads against the store's quotas.
    var blobUploads: BlobUploads { get }
    /// The fate of a transaction this node has seen, or nil.
    func transactionStatus(_ id: Digest) -> TransactionStatus?
    /// Checks the signature and hands the transaction to consensus.
    func submit(_ transaction: SignedTransaction) throws(SubmitError)
    /// The Prometheus text exposition of the node's metrics.
    func metricsText() -> String
    /// Where the API counts its requests: in the registry `metricsText` emits.
    var requestMetrics: APIRequestMetrics { get }
    /// Every other validator of the chain, and whether this node is linked to it.
    var peers: [PeerInfo] { get }
    /// The last `seconds` (1...600) of committed work, one sample a second, with the job
    /// totals and recent slashes seen since the node started.
    func activity(seconds: Int) -> ActivityResponse
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

