/// What one simulated run does. Everything not set here is drawn from the seed.
public struct SimOptions: Sendable {
    public var seed: UInt64
    /// nil: drawn from {4, 7}.
    public var replicaCount: Int?
    public var networkFaults = true
    public var crashes = true
    public var byzantine = true
    /// The deliberately wrong rule (see `Config.unsafeIgnorePreparedCertificatesInNewView`).
    public var unsafeIgnorePreparedCertificates = false
    /// Simulated milliseconds of the safety phase (faults on).
    public var safetyMs: UInt64 = 3_000
    /// After healing, every request must complete within this many simulated milliseconds.
    public var livenessMs: UInt64 = 60_000
    /// If set: exactly f Byzantine replicas, replica 0 (the first primary) among them, all
    /// behaving this way.
    public var byzantineOverride: ByzantineBehaviour?
    public var clients = 3
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
    public let requestsCompleted: Int
    public let requestsTotal: Int
    public let simulatedMs: UInt64
    public let messagesDelivered: Int
    public let highestView: UInt64
    public let crashes: Int
    public let stateTransfers: Int
    /// Sequences whose agreed batch held no request: idle primaries' empty batches and
    /// the null batches of view changes.
    public let emptyBatches: Int
    public let summary: String

    public var passed: Bool { violations.isEmpty }
}
