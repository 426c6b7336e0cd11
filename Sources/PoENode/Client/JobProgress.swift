/// Where a submitted job stands, as `poe submit --wait` reports it: computed from the
/// transaction's status and, once committed, the job's state.
public enum JobProgress: Sendable, Equatable {
    /// The node has not seen the transaction (yet).
    case unseen
    /// The node holds the transaction; consensus has not ordered it.
    case pending
    case rejected(height: UInt64, reason: String)
    /// The node had no room to order it; nothing changed and it can be submitted again.
    case refused(reason: String)
    /// Committed, attestations still coming in.
    case committed(height: UInt64, attestations: Int, validators: Int, quorum: Int, deadlineHeight: UInt64)
    case finalized(digest: String, agreeing: Int, validators: Int, outputHash: String?, outcome: String?)
    /// No digest reached a quorum by the deadline; the fee was refunded. `splits` says how
    /// the attestations that came divided.
    case failed(quorum: Int, deadlineHeight: UInt64, splits: [AttestationSplit])

    /// `transaction` nil means the node answered 404; `job` is read once the transaction is committed.
    public init(transaction: TransactionStatusResponse?, job: JobResponse?) {
        guard let transaction else {
            self = .unseen
            return
        }
        switch transaction.status {
        case "pending":
            self = .pending
            return
        case "rejected":
            self = .rejected(height: transaction.height ?? 0, reason: transaction.reason ?? "no reason given")
            return
        case "refused":
            self = .refused(reason: transaction.reason ?? "no reason given")
            return
        default: break
        }
        guard let job else {
            self = .committed(height: transaction.height ?? 0, attestations: 0, validators: 0, quorum: 0, deadlineHeight: 0)
            return
        }
        if job.status == "failed" {
            self = .failed(quorum: job.quorum, deadlineHeight: job.deadlineHeight, splits: job.splits)
        } else if let digest = job.agreedDigest {
            self = .finalized(
                digest: digest, agreeing: job.count(for: digest), validators: job.validatorCount, outputHash: job.agreedOutputHash,
                outcome: job.agreedOutcome)
        } else {
            self = .committed(
                height: job.submitHeight, attestations: job.attestations.count, validators: job.validatorCount,
                quorum: job.quorum, deadlineHeight: job.deadlineHeight)
        }
    }

    /// True when nothing more will change: finalized, failed or rejected.
    public var isFinal: Bool {
        switch self {
        case .unseen, .pending, .committed: return false
        case .rejected, .refused, .finalized, .failed: return true
        }
    }

    /// True for the final states that are not a result.
    public var isFailure: Bool {
        switch self {
        case .unseen, .pending, .committed, .finalized: return false
        case .rejected, .refused, .failed: return true
        }
    }

    /// One line, a 12-column state word then the details.
    public var line: String {
        switch self {
        case .unseen: return "waiting      the node has not seen the transaction yet"
        case .pending: return "pending      waiting to be committed"
        case .rejected(let height, let reason): return "rejected     at height \(height): \(reason)"
        case .refused(let reason): return "refused      not ordered: \(reason)"
        case .committed(let height, let attestations, let validators, let quorum, let deadline):
            return "committed    height \(height), attestations \(attestations)/\(validators) (quorum \(quorum)), deadline height \(deadline)"
        case .finalized(let digest, let agreeing, let validators, let outputHash, let outcome):
            return "finalized    \(outcome ?? "?"): digest \(digest), \(agreeing)/\(validators) attestations agree, output hash \(outputHash ?? "?")"
        case .failed(let quorum, let deadline, let splits):
            let split = splits.isEmpty ? "no attestation came" : "attestations: " + splits.map(\.summary).joined(separator: ", ")
            return "failed       no result reached a quorum of \(quorum) by deadline height \(deadline) (\(split)); the fee was refunded"
        }
    }
}
