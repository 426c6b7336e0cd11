import PoECrypto
public import PoELedger

// The JSON bodies of the routes the status page reads (`GET /jobs`, `/evidence`,
// `/peers`, `/activity`). Keys and digests are lower-case hex.

/// One job in `GET /jobs`: its status and how far its attestations got.
public struct JobSummary: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var submitHeight: UInt64
    public var deadlineHeight: UInt64
    public var fee: UInt64
    /// Attestations recorded, whatever their digest.
    public var attestations: Int
    /// The most attestations any one digest has (the agreed one's, once finalized).
    public var leadingAttestations: Int
    /// Attestations of another digest than the agreed one: the validators settlement
    /// slashes (0 while no digest is agreed).
    public var divergentAttestations: Int
    public var quorum: Int
    public var validatorCount: Int
    public var agreedDigest: String?

    public init(job: JobState, set: ValidatorSet?, attestations: [AttestationRecord]) {
        id = job.id.hex
        status = JobResponse.statusText(job.status)
        submitHeight = job.submitHeight
        deadlineHeight = job.deadlineHeight
        fee = job.fee
        self.attestations = attestations.count
        let digests = attestations.map(\.signed.attestation.resultDigest)
        leadingAttestations = Dictionary(digests.map { ($0, 1) }, uniquingKeysWith: +).values.max() ?? 0
        divergentAttestations = job.agreedDigest.map { agreed in digests.filter { $0 != agreed }.count } ?? 0
        quorum = set?.quorum ?? 0
        validatorCount = set?.count ?? 0
        agreedDigest = job.agreedDigest?.hex
    }
}

/// `GET /jobs?status=&limit=`: the most recently submitted jobs, newest first.
public struct JobsResponse: Codable, Sendable, Equatable {
    public var height: UInt64
    public var jobs: [JobSummary]

    public init(height: UInt64, jobs: [JobSummary]) {
        self.height = height
        self.jobs = jobs
    }
}

/// A validator proven to have signed two results for one job (jailed and slashed).
public struct EvidenceInfo: Codable, Sendable, Equatable {
    public var nodeKey: String
    public var jobID: String
    public var height: UInt64

    public init(_ record: EvidenceRecord) {
        nodeKey = record.nodeKey.hex
        jobID = record.jobID.hex
        height = record.height
    }
}

/// `GET /evidence?limit=`: the most recent evidence, newest first.
public struct EvidenceResponse: Codable, Sendable, Equatable {
    public var evidence: [EvidenceInfo]
    public init(evidence: [EvidenceInfo]) { self.evidence = evidence }
}

/// One other validator and whether this node has an authenticated link to it.
public struct PeerInfo: Codable, Sendable, Equatable {
    public var nodeKey: String
    public var linked: Bool

    public init(nodeKey: String, linked: Bool) {
        self.nodeKey = nodeKey
        self.linked = linked
    }
}

/// `GET /peers`: every other genesis validator, in genesis order.
public struct PeersResponse: Codable, Sendable, Equatable {
    public var peers: [PeerInfo]
    public init(peers: [PeerInfo]) { self.peers = peers }
}

/// A validator slashed for a wrong result, as a batch this node applied settled it.
public struct SlashInfo: Codable, Sendable, Equatable {
    public var nodeKey: String
    public var jobID: String
    public var height: UInt64
    public var attestedDigest: String
    public var agreedDigest: String

    public init(nodeKey: String, jobID: String, height: UInt64, attestedDigest: String, agreedDigest: String) {
        self.nodeKey = nodeKey
        self.jobID = jobID
        self.height = height
        self.attestedDigest = attestedDigest
        self.agreedDigest = agreedDigest
    }
}

/// What the batches this node applied since it started did to jobs.
public struct ActivityTotals: Codable, Sendable, Equatable {
    public var jobsSubmitted = 0
    public var jobsFinalized = 0
    public var jobsSettled = 0
    public var jobsFailed = 0
    public var slashes = 0

    public init() {}
}

/// `GET /activity?seconds=`: one sample per second since the node started (at most the
/// last `seconds`), oldest first, the last one the current (partial) second. Latencies are
/// of the transactions that reached this node (its API, or its own attestations and
/// evidence): how many committed in each second, their mean and max (nil for none).
public struct ActivityResponse: Codable, Sendable, Equatable {
    public var uptimeSeconds: Int
    public var transactions: [Int]
    public var batches: [Int]
    public var latencyCount: [Int]
    public var latencyMeanMs: [Double?]
    public var latencyMaxMs: [Double?]
    public var totals: ActivityTotals
    /// The most recent slashes, newest first.
    public var slashes: [SlashInfo]

    public init(
        uptimeSeconds: Int, transactions: [Int], batches: [Int], latencyCount: [Int], latencyMeanMs: [Double?],
        latencyMaxMs: [Double?], totals: ActivityTotals, slashes: [SlashInfo]
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.transactions = transactions
        self.batches = batches
        self.latencyCount = latencyCount
        self.latencyMeanMs = latencyMeanMs
        self.latencyMaxMs = latencyMaxMs
        self.totals = totals
        self.slashes = slashes
    }
}
