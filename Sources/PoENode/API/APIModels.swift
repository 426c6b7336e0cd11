public import PoENodeCore
import PoECrypto
public import PoELedger
import PoEExecutor

// The JSON bodies of the HTTP API, shared by the server (which encodes them) and
// `NodeClient` (which decodes them). Keys, digests and signatures are lower-case hex.

/// `{"error": "..."}`: the body of every 4xx/5xx answer.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public init(error: String) { self.error = error }
}

/// `POST /blobs`.
public struct BlobUploadResponse: Codable, Sendable, Equatable {
    public var hash: String
    public init(hash: String) { self.hash = hash }
}

/// `POST /transactions` (202).
public struct SubmitResponse: Codable, Sendable, Equatable {
    public var id: String
    public init(id: String) { self.id = id }
}

/// `GET /transactions/{id}`: `status` is "pending", "committed" or "rejected".
public struct TransactionStatusResponse: Codable, Sendable, Equatable {
    public var status: String
    public var height: UInt64?
    public var jobID: String?
    public var reason: String?

    public init(status: String, height: UInt64? = nil, jobID: String? = nil, reason: String? = nil) {
        self.status = status
        self.height = height
        self.jobID = jobID
        self.reason = reason
    }

    public init(_ status: TransactionStatus) {
        switch status {
        case .pending: self.init(status: "pending")
        case .committed(let height, let jobID): self.init(status: "committed", height: height, jobID: jobID?.hex)
        case .rejected(let height, let reason): self.init(status: "rejected", height: height, reason: reason)
        case .refused(let reason): self.init(status: "refused", reason: reason)
        }
    }
}

/// One validator's attestation of a job, as `GET /jobs/{id}` lists it.
public struct AttestationInfo: Codable, Sendable, Equatable {
    public var validator: String
    public var resultDigest: String
    /// How the run ended, as the validator attests it (e.g. "success(exit 0)", "out of
    /// fuel", "trap(unreachable)"); "unreadable" for bytes that are no outcome.
    public var outcome: String
    /// The execution profile's fingerprint.
    public var profile: String
    public var outputHash: String
    public var logHash: String
    public var fuelUsed: UInt64
    public var height: UInt64

    public init(_ record: AttestationRecord) {
        let attestation = record.signed.attestation
        validator = attestation.nodeKey.hex
        resultDigest = attestation.resultDigest.hex
        outcome = (try? Outcome.decode(wireBytes: attestation.outcome)).map(\.description) ?? "unreadable"
        profile = attestation.profile.hex
        outputHash = attestation.outputHash.hex
        logHash = attestation.logHash.hex
        fuelUsed = attestation.fuelUsed
        height = record.height
    }
}

/// `GET /jobs/{id}`. `status` is "pending", "finalized", "settled" or "failed".
public struct JobResponse: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var submitter: String
    public var nonce: UInt64
    public var fee: UInt64
    /// The fee held until settlement, then 0.
    public var escrow: UInt64
    public var epoch: UInt64
    public var submitHeight: UInt64
    public var deadlineHeight: UInt64
    public var codeHash: String
    public var inputHash: String
    public var entryPoint: String
    public var fuelLimit: UInt64
    public var memoryLimitPages: UInt32
    /// Members of the job's validator set, and how many matching attestations finalize it.
    public var validatorCount: Int
    public var quorum: Int
    public var agreedDigest: String?
    /// The height at which the agreed digest was anchored.
    public var anchorHeight: UInt64?
    /// The output hash reported by the attestations of the agreed digest.
    public var agreedOutputHash: String?
    /// How the run ended, as the attestations of the agreed digest report it.
    public var agreedOutcome: String?
    /// How the attestations split, by digest and outcome, most attested first: what a
    /// failed job shows instead of a result.
    public var splits: [AttestationSplit]
    /// True once the fee was paid out (settled) or refunded (failed).
    public var settled: Bool
    public var attestations: [AttestationInfo]

    public init(job: JobState, set: ValidatorSet?, anchor: AnchorEntry?, attestations: [AttestationRecord]) {
        id = job.id.hex
        status = JobResponse.statusText(job.status)
        submitter = job.submitter.hex
        nonce = job.nonce
        fee = job.fee
        escrow = job.escrow
        epoch = job.epoch
        submitHeight = job.submitHeight
        deadlineHeight = job.deadlineHeight
        codeHash = job.codeHash.hex
        inputHash = job.spec.inputHash.hex
        entryPoint = job.spec.entryPoint
        fuelLimit = job.spec.fuelLimit
        memoryLimitPages = job.spec.memoryLimitPages
        validatorCount = set?.count ?? 0
        quorum = set?.quorum ?? 0
        agreedDigest = job.agreedDigest?.hex
        anchorHeight = anchor?.height
        agreedOutputHash = job.agreedDigest.flatMap { agreed in
            attestations.first { $0.signed.attestation.resultDigest == agreed }?.signed.attestation.outputHash.hex
        }
        let infos = attestations.map(AttestationInfo.init)
        agreedOutcome = job.agreedDigest.flatMap { agreed in infos.first { $0.resultDigest == agreed.hex }?.outcome }
        splits = AttestationSplit.of(infos)
        switch job.status {
        case .pending, .finalized: settled = false
        case .settled, .failed: settled = true
        }
        self.attestations = infos
    }

    public static func statusText(_ status: JobStatus) -> String {
        switch status {
        case .pending: return "pending"
        case .finalized: return "finalized"
        case .settled: return "settled"
        case .failed: return "failed"
        }
    }

    /// Attestations for `digest` (hex).
    public func count(for digest: String) -> Int { attestations.filter { $0.resultDigest == digest }.count }
}

/// A group of attestations that agree on one digest (and so on one outcome).
public struct AttestationSplit: Codable, Sendable, Equatable {
    public var resultDigest: String
    public var outcome: String
    public var count: Int

    public init(resultDigest: String, outcome: String, count: Int) {
        self.resultDigest = resultDigest
        self.outcome = outcome
        self.count = count
    }

    static func of(_ attestations: [AttestationInfo]) -> [AttestationSplit] {
        var groups: [String: AttestationSplit] = [:]
        for attestation in attestations {
            groups[attestation.resultDigest, default: AttestationSplit(resultDigest: attestation.resultDigest, outcome: attestation.outcome, count: 0)].count += 1
        }
        return groups.values.sorted { ($0.count, $1.resultDigest) > ($1.count, $0.resultDigest) }
    }

    /// "3 × out of fuel (digest 1a2b3c4d)".
    public var summary: String { "\(count) × \(outcome) (digest \(resultDigest.prefix(8)))" }
}

/// The bond side of a validator account.
public struct ValidatorInfo: Codable, Sendable, Equatable {
    public var account: String
    public var nodeKey: String
    public var endpoint: String
    public var bond: UInt64
    public var unbonding: UInt64
    public var releaseHeight: UInt64
    public var jailed: Bool
    public var registeredHeight: UInt64
    /// The account's spendable balance, where rewards go: in `GET /validators` (an
    /// account's own answer has it beside this).
    public var balance: UInt64?

    public init(_ state: ValidatorState, balance: UInt64? = nil) {
        self.balance = balance
        account = state.account.hex
        nodeKey = state.nodeKey.hex
        endpoint = state.endpoint
        bond = state.bond
        unbonding = state.unbonding
        releaseHeight = state.releaseHeight
        jailed = state.jailed
        registeredHeight = state.registeredHeight
    }
}

/// `GET /accounts/{key}`: an unknown key has balance 0 and nonce 0.
public struct AccountResponse: Codable, Sendable, Equatable {
    public var key: String
    public var balance: UInt64
    /// The nonce of the account's last accepted transaction: the next one uses nonce + 1.
    public var nonce: UInt64
    public var validator: ValidatorInfo?

    public init(key: String, balance: UInt64, nonce: UInt64, validator: ValidatorInfo?) {
        self.key = key
        self.balance = balance
        self.nonce = nonce
        self.validator = validator
    }
}

/// `GET /validators`: the set of the current epoch.
public struct ValidatorsResponse: Codable, Sendable, Equatable {
    public var epoch: UInt64
    public var height: UInt64
    public var quorum: Int
    public var validators: [ValidatorInfo]

    public init(epoch: UInt64, height: UInt64, quorum: Int, validators: [ValidatorInfo]) {
        self.epoch = epoch
        self.height = height
        self.quorum = quorum
        self.validators = validators
    }
}

/// `GET /chain`: what a client needs to compute job IDs and check proofs.
public struct ChainResponse: Codable, Sendable, Equatable {
    public var chainID: String
    public var genesisDigest: String
    public var parameters: LedgerParameters

    public init(chainID: String, genesisDigest: String, parameters: LedgerParameters) {
        self.chainID = chainID
        self.genesisDigest = genesisDigest
        self.parameters = parameters
    }
}
