public import PoEDuties

/// What one simulated run does. Everything not set here is drawn from the seed.
public struct SimOptions: Sendable {
    public var seed: UInt64
    /// nil: drawn from {4, 7}.
    public var replicaCount: Int?
    public var networkFaults = true
    public var crashes = true
    public var byzantine = true
    /// The deliberately wrong consensus rule (`Config.unsafeIgnorePreparedCertificatesInNewView`).
    public var unsafeIgnorePreparedCertificates = false
    /// The deliberately wrong duty rule (`Duties.Settings.unsafeIgnoreJobsAfterStateInstall`).
    public var unsafeIgnoreJobsAfterStateInstall = false
    /// Simulated milliseconds of the safety phase (faults on).
    public var safetyMs: UInt64 = 3_000
    /// After healing, every client operation must complete within this many simulated ms.
    public var livenessMs: UInt64 = 60_000
    /// Then, with no more traffic, every honest node must reach the height the cluster had
    /// when the clients finished, within this many simulated milliseconds.
    public var convergenceMs: UInt64 = 30_000
    /// If set: exactly f Byzantine replicas, replica 0 (the first primary) among them, all
    /// behaving this way.
    public var byzantineOverride: ByzantineBehaviour?
    /// If set: exactly f validators attest this way (and are otherwise honest replicas).
    public var dutyFaultOverride: FaultMode?
    /// Crash every node at once during the safety phase (otherwise drawn, one seed in three).
    public var crashAllAtOnce = false
    public var clients = 3
    /// Operations per client, one at a time: transfers, and every third one a job.
    public var requestsPerClient = 6
    public var verbose = false

    public init(seed: UInt64, replicaCount: Int? = nil) {
        self.seed = seed
        self.replicaCount = replicaCount
    }
}

/// What a run found.
public struct SimResult: Sendable {
    public let seed: UInt64
    public let replicaCount: Int
    public let byzantineCount: Int
    public let violations: [String]
    /// Client operations (transfers and jobs) completed: ordered by f+1 honest nodes and,
    /// for a job, its result anchored by f+1 honest nodes.
    public let requestsCompleted: Int
    public let requestsTotal: Int
    public let jobsFinalized: Int
    public let simulatedMs: UInt64
    public let messagesDelivered: Int
    public let highestView: UInt64
    public let crashes: Int
    public let allNodeCrashes: Int
    public let stateTransfers: Int
    /// Restarts that resumed from the node's own checkpoint archive.
    public let localResumes: Int
    /// Heights whose agreed batch held no transaction: idle primaries' empty batches and
    /// the null batches of view changes.
    public let emptyBatches: Int
    /// Validators an honest ledger shows slashed at the end, by index.
    public let slashed: [Int]
    /// The validators that lie (in consensus or in their attestations), by index.
    public let faulty: [Int]
    public let summary: String

    public var passed: Bool { violations.isEmpty }
}
