public import PBFT
public import PoECrypto
public import PoEDuties
public import PoELedger

/// Thrown by the world to stop the node where it stands: nothing after it happens, as in
/// a crash. The simulator crashes nodes this way between a persist and what follows it;
/// a real node never throws it (a failed fsync ends the process instead).
public struct NodeHalt: Error, Sendable {
    public init() {}
}

/// The world as `NodeCore` sees it: the only way the interpreter touches disk, network,
/// job runner and clock-driven bookkeeping. The node implements it over TCP, SQLite,
/// files and threads; the simulator over a simulated network, disk and executor.
/// Called on the loop only.
public protocol NodeEnvironment: AnyObject {
    /// Makes the replica's records durable before anything later is sent.
    func persist(_ records: [PersistedRecord]) throws(NodeHalt)
    func send(_ message: PeerMessage, to peer: PublicKey)
    func broadcast(_ message: PeerMessage)
    /// Starts a job off the loop; its end comes back as `.jobFinished` or `.jobNotRun`.
    /// False when the runner has no room (the duties retry later).
    func startJob(_ assignment: JobAssignment) -> Bool
    var blobs: any BlobHolding { get }
    var checkpoints: any CheckpointStore { get }
    /// What the node did, for metrics, logs and the simulator's checks.
    func observe(_ event: NodeEvent)
    /// The node cannot go on without breaking a promise (a committed batch its ledger
    /// refuses: the disk is broken, or consensus was): it must stop. The node ends its
    /// process; the simulator records a violation and halts that node for good.
    func halt(_ reason: String) -> NodeHalt
}

/// The content-addressed blob store, as far as the interpreter uses it.
public protocol BlobHolding: Sendable {
    func contains(_ digest: Digest) -> Bool
    /// The bytes, re-hashed on read; throws when absent or damaged.
    func read(_ digest: Digest) throws -> [UInt8]
    /// Stores bytes under their hash.
    func store(_ bytes: [UInt8]) throws -> Digest
}

/// Durable state archives at checkpoints (`StateArchive` bytes), so that a node serves a
/// stable checkpoint's state, and resumes from its own, after any restart.
public protocol CheckpointStore: AnyObject {
    /// Writes durably the archive that `produce` hands to `append` in pieces (the write is
    /// complete before this returns), or throws and leaves what was at `sequence` before
    /// (an earlier archive or none): a checkpoint streams the state from the ledger
    /// rather than holding it whole. `produce` reads the ledger, so `append` must not.
    func write(sequence: UInt64, _ produce: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws
    /// The archive at `sequence`, nil when there is none (or it cannot be read).
    func read(sequence: UInt64) -> [UInt8]?
    /// The archive's size, without reading it: nil when there is none.
    func byteCount(sequence: UInt64) -> Int?
    func sequences() -> [UInt64]
    func remove(sequence: UInt64)
}

/// What `NodeCore` reports to its environment.
public enum NodeEvent: Sendable {
    /// A committed batch was applied at `sequence` (again, after a restart, when the
    /// ledger already held it: `receipt` is then the stored one).
    case batchApplied(sequence: UInt64, requests: [ClientRequest], receipt: BatchReceipt)
    /// The state at a checkpoint this node executed was archived; its root is `stateRoot`
    /// (the ledger is still at `sequence` while this is observed).
    case checkpointTaken(sequence: UInt64, stateRoot: Digest)
    /// The state at a stable checkpoint was installed, from this node's own archive or a peer.
    case stateInstalled(sequence: UInt64, fromOwnArchive: Bool)
    /// A line for the node's log: what happened, at what level, with its context.
    case log(NodeLogLevel, String, [String: String])
    /// A duty action the interpreter performed (the node logs and counts them).
    case duty(DutyAction)
}

extension CheckpointStore {
    /// Writes durably an archive held whole (one received from a peer).
    public func write(_ archive: [UInt8], sequence: UInt64) throws {
        try write(sequence: sequence) { append in try append(archive) }
    }
}

public enum NodeLogLevel: Sendable {
    case debug, info, notice, warning, error
}
