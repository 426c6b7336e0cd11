import PBFT
public import PoECrypto
import PoELedger

/// A validator's duties toward jobs and its clients' requests, as a pure state machine
/// beside the PBFT `Replica`: which jobs to run, which blobs to fetch first, when to
/// attest and attest again, when to submit evidence, when to resend a client's request
/// and when to tell the client it can never execute. `step(_:)` takes an event and
/// returns actions; no clock, randomness or I/O of its own. The shell reads the ledger
/// and the blob store into the events (`LedgerFacts`, `BatchFacts`) and performs the
/// actions. Its state is memory only: after a restart, `.started` rebuilds it from the
/// ledger, which is all a validator needs (a job's result is deterministic, so running it
/// again yields the attestation it would have sent).
public struct Duties: Sendable {
    public struct Settings: Sendable {
        public var chainID: String
        public var fault: FaultMode?
        /// Ticks between two requests for a missing blob, two retries of a job the runner
        /// had no room for, and two scans for requests to resend.
        public var retryTicks: UInt64 = 20
        /// Heights after which an attestation the ledger has not recorded is submitted
        /// again, in a new transaction (the first may have been overtaken by a later nonce).
        public var attestationResubmitHeights: UInt64 = 8
        /// Ticks a request of this node's client waits before it is sent to every replica
        /// again, as PBFT clients retransmit (Castro and Liskov, 4.1).
        public var requestResendTicks: UInt64 = 80
        /// Open jobs tracked at once; past it, a new job is skipped and counted.
        public var jobsOpenMax = 4_096
        public var ownRequestsMax = 4_096
        /// Evidence already submitted, remembered so it is not submitted twice.
        public var evidenceRememberedMax = 4_096
        /// The deliberately wrong rule: a node that installs a checkpoint's state does not
        /// take up the open jobs it finds there. Only the simulator sets it, to show that it
        /// catches a broken duty (as `Config.unsafeIgnorePreparedCertificatesInNewView`).
        public var unsafeIgnoreJobsAfterStateInstall = false

        public init(chainID: String, fault: FaultMode? = nil) {
            self.chainID = chainID
            self.fault = fault
        }

        func validate() {
            precondition(retryTicks > 0, "retryTicks must be positive")
            precondition(attestationResubmitHeights > 0, "attestationResubmitHeights must be positive")
            precondition(requestResendTicks >= retryTicks, "requests are resent at most once per retry period")
            precondition(jobsOpenMax > 0 && ownRequestsMax > 0 && evidenceRememberedMax > 0, "bounds must be positive")
        }
    }

    /// What the duties did, and what they had to drop: each drop has a reason here.
    public struct Counters: Sendable, Equatable, Codable {
        public var jobsStarted = 0
        public var attestationsSubmitted = 0
        public var attestationsResubmitted = 0
        /// New jobs not taken up because `jobsOpenMax` were open.
        public var jobsSkippedFull = 0
        /// Runs the runner had no room for (retried).
        public var runnerFull = 0
        /// Runs that found a blob missing or damaged in the local store (fetched again).
        public var localBlobFailures = 0
        public var blobRequests = 0
        public var requestsResent = 0
        public var requestsRefused = 0
        /// Own requests not tracked for resending because `ownRequestsMax` were tracked.
        public var ownRequestsUntracked = 0
        public var evidenceSubmitted = 0
        /// Results of jobs that were no longer open (settled, or attested meanwhile).
        public var resultsForClosedJobs = 0
        /// Jobs not run because this node cannot run the chain's execution profile.
        public var profileUnsupported = 0

        public init() {}
    }

    enum Phase: Sendable, Equatable {
        case waitingForBlobs(Set<Digest>)
        /// The runner had no room; started again on a retry tick.
        case queued
        case running
        /// Submitted, not yet recorded by the ledger; `lastNonce` is the nonce of the last
        /// of its transactions.
        case attested([SignedAttestation], sentHeight: UInt64, lastNonce: UInt64)
        /// Ran, and attests nothing (fault mode `silentAttester`).
        case silent
        /// Cannot run here (the execution profile); attests nothing, tries no more.
        case unrunnable
    }

    struct OpenJob: Sendable, Equatable {
        let assignment: JobAssignment
        var phase: Phase
    }

    struct OwnRequest: Sendable, Equatable {
        let request: ClientRequest
        var sentTick: UInt64
    }

    struct EvidenceKey: Hashable, Sendable {
        let validator: PublicKey
        let jobID: Digest
    }

    public let settings: Settings
    let key: PrivateKey
    public internal(set) var height: UInt64 = 0
    public internal(set) var counters = Counters()
    var ticks: UInt64 = 0
    var jobs: [Digest: OpenJob] = [:]
    var ownRequests: [RequestKey: OwnRequest] = [:]
    /// The node key's highest nonce the ledger executed, and the highest this node used.
    var ownNonce: UInt64 = 0
    var lastNonceUsed: UInt64 = 0
    var evidenceSent: Set<EvidenceKey> = []
    var evidenceOrder: [EvidenceKey] = []
    var actions: [DutyAction] = []

    public init(settings: Settings, key: PrivateKey) {
        settings.validate()
        self.settings = settings
        self.key = key
    }

    public var nodeKey: PublicKey { key.publicKey }
    /// Jobs this node is working on (running, waiting for blobs, or attested and waiting
    /// for the ledger to record it).
    public var openJobCount: Int { jobs.count }
    public var ownRequestCount: Int { ownRequests.count }
    /// Blobs some open job waits for.
    public var wantedBlobs: Set<Digest> {
        jobs.values.reduce(into: Set()) { wanted, job in
            if case .waitingForBlobs(let missing) = job.phase { wanted.formUnion(missing) }
        }
    }

    /// The single entry point.
    public mutating func step(_ event: DutyEvent) -> [DutyAction] {
        precondition(actions.isEmpty, "step re-entered")
        switch event {
        case .started(let facts): onLedgerReplaced(facts, takeUpJobs: true)
        case .batchApplied(let facts): onBatchApplied(facts)
        case .stateInstalled(let facts, let table):
            onLedgerReplaced(facts, takeUpJobs: !settings.unsafeIgnoreJobsAfterStateInstall)
            settleOwnRequests(against: table)
        case .jobFinished(let jobID, let result): onJobFinished(jobID, result)
        case .jobNotRun(let jobID, let reason): onJobNotRun(jobID, reason)
        case .blobStored(let blob): onBlobStored(blob)
        case .requestAccepted(let request): track(request)
        case .tick: onTick()
        }
        checkInvariants()
        let output = actions
        actions = []
        return output
    }

    func checkInvariants() {
        precondition(jobs.count <= settings.jobsOpenMax, "open jobs over bound")
        precondition(ownRequests.count <= settings.ownRequestsMax, "own requests over bound")
        precondition(evidenceSent.count == evidenceOrder.count, "evidence index out of sync")
        precondition(evidenceSent.count <= settings.evidenceRememberedMax, "evidence memory over bound")
    }
}
