public import PBFT
public import PoECrypto
public import PoELedger

/// A job this validator must run and attest: it is in the job's validator set, the job
/// still accepts attestations, and the ledger holds no attestation of this node for it.
public struct JobAssignment: Sendable, Equatable {
    public let jobID: Digest
    public let codeHash: Digest
    public let spec: JobSpec
    /// Of the code and input, what the node's blob store lacks (the shell looked).
    public let missingBlobs: Set<Digest>

    public init(jobID: Digest, codeHash: Digest, spec: JobSpec, missingBlobs: Set<Digest>) {
        self.jobID = jobID
        self.codeHash = codeHash
        self.spec = spec
        self.missingBlobs = missingBlobs
    }
}

/// What the ledger says to a validator's duties at one height, read by the shell.
public struct LedgerFacts: Sendable, Equatable {
    public let height: UInt64
    /// The node key's account nonce in the ledger: its next transaction must be above it.
    public let ownNonce: UInt64
    /// Every job still open that this node must attest (all of them, not only new ones).
    public let assignments: [JobAssignment]

    public init(height: UInt64, ownNonce: UInt64, assignments: [JobAssignment]) {
        self.height = height
        self.ownNonce = ownNonce
        self.assignments = assignments
    }
}

/// What applying one committed batch changed, as far as duties care.
public struct BatchFacts: Sendable, Equatable {
    public let height: UInt64
    /// Every request the batch executed (ordered, whether the ledger accepted it or not).
    public let executed: [ClientRequest]
    /// Jobs the batch created that this node must attest.
    public let assignments: [JobAssignment]
    /// Jobs whose attestation by this node the ledger recorded in this batch.
    public let attested: [Digest]
    /// Jobs settled in this batch: they accept no attestation any more.
    public let settled: [Digest]
    /// Pairs of different attestations signed by one validator for one job: the first
    /// recorded by the ledger, the second refused by it.
    public let equivocations: [Equivocation]

    public init(
        height: UInt64, executed: [ClientRequest], assignments: [JobAssignment] = [], attested: [Digest] = [],
        settled: [Digest] = [], equivocations: [Equivocation] = []
    ) {
        self.height = height
        self.executed = executed
        self.assignments = assignments
        self.attested = attested
        self.settled = settled
        self.equivocations = equivocations
    }
}

public struct Equivocation: Sendable, Equatable {
    public let first: SignedAttestation
    public let second: SignedAttestation

    public init(first: SignedAttestation, second: SignedAttestation) {
        precondition(first.attestation.jobID == second.attestation.jobID, "an equivocation is about one job")
        precondition(first.attestation.nodeKey == second.attestation.nodeKey, "an equivocation is by one validator")
        self.first = first
        self.second = second
    }
}

/// What running a job produced: the fields a validator attests.
public struct JobResult: Sendable, Equatable {
    public let resultDigest: Digest
    public let profile: Digest
    public let outcome: [UInt8]
    public let outputHash: Digest
    public let logHash: Digest
    public let fuelUsed: UInt64

    public init(resultDigest: Digest, profile: Digest, outcome: [UInt8], outputHash: Digest, logHash: Digest, fuelUsed: UInt64) {
        self.resultDigest = resultDigest
        self.profile = profile
        self.outcome = outcome
        self.outputHash = outputHash
        self.logHash = logHash
        self.fuelUsed = fuelUsed
    }
}

/// Why a job did not run on this node (a local fault, never attested).
public enum JobNotRun: Sendable, Equatable {
    /// The runner's queue was full; try again later.
    case runnerFull
    /// A blob was missing or damaged in the local store; fetch it again.
    case blobUnreadable(Digest)
    /// This node's build does not run the chain's execution profile (or its operator
    /// chose not to): it cannot attest, so it is neither paid nor slashed.
    case profileUnsupported(String)
}

/// What the shell feeds the duties.
public enum DutyEvent: Sendable, Equatable {
    /// The node started: the ledger as it is on disk.
    case started(LedgerFacts)
    /// A committed batch was applied to the ledger.
    case batchApplied(BatchFacts)
    /// The ledger was replaced by a stable checkpoint's state (fetched, or this node's own
    /// after a restart); `clientTable` is the replica's table at that checkpoint.
    case stateInstalled(LedgerFacts, clientTable: ClientTable)
    case jobFinished(jobID: Digest, JobResult)
    case jobNotRun(jobID: Digest, JobNotRun)
    /// A blob is now in the local store.
    case blobStored(Digest)
    /// A request of this node's own client (or the node's own transaction) went into
    /// consensus: resend it until it executes or a later nonce overtakes it.
    case requestAccepted(ClientRequest)
    case tick
}

/// What the duties ask the shell to do, in order.
public enum DutyAction: Sendable, Equatable {
    /// Ask peers for a blob; answer with `.blobStored` once it is stored.
    case fetchBlob(Digest)
    /// Run the job off the loop; answer with `.jobFinished` or `.jobNotRun`.
    case runJob(JobAssignment)
    /// Submit a transaction signed by the node key (attestation or evidence).
    case submit(SignedTransaction)
    /// Send a waiting request of this node's client to every replica again.
    case resend(ClientRequest)
    /// Tell the client its request can never execute, and why.
    case refuse(ClientRequest, reason: String)
}
