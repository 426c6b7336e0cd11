import Hummingbird
import PoECrypto
import PoELedger
import PoENodeCore

/// What the API refuses before a transaction is ordered: what the ledger would refuse
/// anyway and that ordering cannot change. A refused transaction uses up no nonce and
/// no height, and the client hears why at once. The ledger stays the authority: these
/// checks only ever refuse what it would refuse too.
struct TransactionAdmission<Backend: NodeBackend> {
    let backend: Backend

    func check(_ transaction: SignedTransaction, body: TransactionBody) throws {
        try checkNotKnown(transaction)
        try checkNonce(transaction)
        try checkBody(body)
    }

    /// Sent before (a retry, or a replay): its fate is known, so it is answered with it.
    /// A `refused` one was never ordered and may be sent again.
    private func checkNotKnown(_ transaction: SignedTransaction) throws {
        guard let status = backend.transactionStatus(transaction.id) else { return }
        switch status {
        case .refused: return
        case .pending, .committed, .rejected:
            throw APIError(
                .conflict, "transaction \(transaction.id.hex) is already known: \(TransactionStatusResponse(status).summary)")
        }
    }

    private func checkNonce(_ transaction: SignedTransaction) throws {
        let ordered = (try? backend.ledger.account(transaction.sender))??.nonce ?? 0
        guard transaction.nonce > ordered else {
            throw APIError(
                .conflict,
                "nonce \(transaction.nonce) is not above \(ordered), the last nonce ordered for this account; "
                    + "sign it again with nonce \(ordered + 1) or higher")
        }
    }

    private func checkBody(_ body: TransactionBody) throws {
        let supply = backend.ledger.genesis.mintedSupply
        switch body {
        case .transfer(_, let amount):
            guard amount > 0 else { throw APIError.badRequest("a transfer of zero") }
            guard amount <= supply else { throw APIError.badRequest("amount \(amount) is more than all tokens (\(supply))") }
        case .register(let stake, _, _):
            guard stake > 0 else { throw APIError.badRequest("a stake of zero") }
            guard stake <= supply else { throw APIError.badRequest("stake \(stake) is more than all tokens (\(supply))") }
        case .unbond(let amount):
            guard amount > 0 else { throw APIError.badRequest("an unbond of zero") }
        case .submitJob(let spec, let fee):
            guard fee <= supply else { throw APIError.badRequest("fee \(fee) is more than all tokens (\(supply))") }
            if let problem = spec.problem(parameters: backend.ledger.genesis.parameters) {
                throw APIError.badRequest("invalid job: \(problem)")
            }
            try checkBlobsHeld(spec)
        case .withdraw, .publishCode, .attest, .evidence: break
        }
    }

    /// Validators fetch a job's code and input from each other; if no node holds them the
    /// job can only fail at its deadline. So the node the job is submitted to must hold
    /// both: uploading them first is the client's part.
    private func checkBlobsHeld(_ spec: JobSpec) throws {
        let codeHash: Digest
        switch spec.code {
        case .hash(let digest): codeHash = digest
        case .name(let name):
            guard let entry = (try? backend.ledger.code(name: name)) ?? nil else {
                throw APIError.badRequest("no code is published as \"\(name.prefix(64))\"")
            }
            codeHash = entry.codeHash
        }
        for (what, digest) in [("code", codeHash), ("input", spec.inputHash)] where !backend.blobs.contains(digest) {
            throw APIError.badRequest("this node does not hold the job's \(what) \(digest.hex): upload it first (POST /blobs)")
        }
    }
}

extension TransactionStatusResponse {
    /// One phrase for the status, for a refusal's message.
    var summary: String {
        switch status {
        case "committed": return "committed at height \(height ?? 0)"
        case "rejected": return "rejected at height \(height ?? 0): \(reason ?? "")"
        default: return status
        }
    }
}
