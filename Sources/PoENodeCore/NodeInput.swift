public import PBFT
public import PoECrypto
public import PoEDuties

/// Everything that wakes the node's serial loop.
public enum NodeInput: Sendable {
    /// Bytes from an authenticated peer; not yet decoded or validated.
    case peer(PublicKey, [UInt8])
    /// A client request whose signature the API checked.
    case client(ClientRequest)
    /// The loop's clock: one tick every `tickMilliseconds`.
    case tick
    /// A job this node ran (off the loop) has finished.
    case jobFinished(jobID: Digest, JobResult)
    /// A job could not run here (a local fault: it is retried, never attested).
    case jobNotRun(jobID: Digest, JobNotRun)
}
