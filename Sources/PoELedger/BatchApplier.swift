import GRDB
import PoECrypto
import PoEWire

/// Applies one batch inside the write transaction the ledger opened. Deterministic: its
/// only inputs are the batch, the genesis and the database; time is the batch height.
final class BatchApplier {
    let store: Store
    let genesis: Genesis
    let height: UInt64
    let signatures: SignatureCache
    var settledJobs: [Digest] = []

    init(store: Store, genesis: Genesis, height: UInt64, signatures: SignatureCache) {
        precondition(height > 0, "height 0 is genesis")
        self.store = store
        self.genesis = genesis
        self.height = height
        self.signatures = signatures
    }

    var parameters: LedgerParameters { genesis.parameters }
    var epoch: UInt64 { height / parameters.epochLengthHeights }

    func apply(_ batch: Batch) throws -> BatchReceipt {
        precondition(batch.height == height)
        try startEpochIfNeeded()
        var results: [TransactionResult] = []
        results.reserveCapacity(batch.transactions.count)
        for transaction in batch.transactions { results.append(try apply(transaction)) }
        // Deadlines are checked after the batch's transactions: an attestation in the batch
        // at the deadline height still counts.
        for jobID in try store.jobsDue(height: height) { try settle(jobID: jobID) }
        try retireSettledJobs()
        try store.setHeight(height)
        let receipt = BatchReceipt(height: height, batchDigest: batch.digest, results: results, settledJobs: settledJobs)
        try store.insertReceipt(receipt)
        return receipt
    }

    /// The most jobs retired at one height: more than a batch can submit, so retiring
    /// keeps up with any load while the work per batch stays bounded.
    static let jobsRetiredPerHeightMax = 512

    /// Moves jobs settled or failed more than `jobDeadlineHeightsMax` heights past their
    /// deadline out of the state (into history, where their proofs are still read), so
    /// that the state, its root and every checkpoint archive hold live work only and do
    /// not grow with the chain's age. No transaction can touch such a job any more: an
    /// attestation after the deadline is refused either way, and evidence needs only the
    /// two signed attestations.
    private func retireSettledJobs() throws {
        guard height > parameters.jobDeadlineHeightsMax else { return }
        _ = try store.retireJobs(
            deadlineBelow: height - parameters.jobDeadlineHeightsMax, limit: BatchApplier.jobsRetiredPerHeightMax)
    }

    /// At the first height of an epoch, fixes its validator set from the validators table.
    /// So a `Register` (or `Unbond`, or jailing) takes effect from the next epoch.
    private func startEpochIfNeeded() throws {
        guard height % parameters.epochLengthHeights == 0 else { return }
        for validator in try store.eligibleValidators(minimumStake: parameters.minimumStake) {
            try store.insertEpochMember(EpochMember(epoch: epoch, nodeKey: validator.nodeKey, account: validator.account))
        }
    }

    /// Checks the signature and nonce; if both hold, consumes the nonce (and any below it) and runs the body
    /// in a savepoint, so a failing body changes nothing but the nonce.
    private func apply(_ transaction: SignedTransaction) throws -> TransactionResult {
        let id = transaction.id
        guard transaction.isSignatureValid(using: signatures) else {
            return TransactionResult(transactionID: id, rejection: Rejection(.badSignature, "signature does not verify for the sender"))
        }
        var account = try store.account(transaction.sender) ?? AccountState(key: transaction.sender, balance: 0, nonce: 0)
        // Strictly increasing, gaps allowed: the rule of PBFT's client timestamps (Castro
        // and Liskov, 4.1), so a request ordered before an earlier one of the same client
        // (a view change, a lost message) does not strand every later one.
        guard transaction.nonce > account.nonce else {
            return TransactionResult(
                transactionID: id,
                rejection: Rejection(.badNonce, "nonce \(transaction.nonce), must be above \(account.nonce)"))
        }
        account.nonce = transaction.nonce
        try store.saveAccount(account)
        var jobID: Digest?
        do {
            try store.db.inSavepoint {
                jobID = try execute(transaction)
                return .commit
            }
        } catch let rejection as Rejection {
            return TransactionResult(transactionID: id, rejection: rejection)
        }
        return TransactionResult(transactionID: id, rejection: nil, jobID: jobID)
    }

    /// Runs a body whose signature and nonce are already accepted. Throws `Rejection` for
    /// a failed transaction, anything else for a database fault that aborts the batch.
    private func execute(_ transaction: SignedTransaction) throws -> Digest? {
        let body: TransactionBody
        do {
            body = try TransactionBody.decode(wireBytes: transaction.body)
        } catch {
            throw Rejection(.malformedBody, error.description)
        }
        let sender = transaction.sender
        switch body {
        case .transfer(let to, let amount): try transfer(from: sender, to: to, amount: amount)
        case .register(let stake, let endpoint, let nodeKey):
            try register(account: sender, stake: stake, endpoint: endpoint, nodeKey: nodeKey)
        case .unbond(let amount): try unbond(account: sender, amount: amount)
        case .withdraw: try withdraw(account: sender)
        case .publishCode(let name, let codeHash): try publishCode(owner: sender, name: name, codeHash: codeHash)
        case .submitJob(let spec, let fee):
            return try submitJob(submitter: sender, nonce: transaction.nonce, spec: spec, fee: fee)
        case .attest(let signed): try attest(signed)
        case .evidence(let first, let second): try evidence(first, second)
        }
        return nil
    }

    // MARK: balances

    func debit(_ key: PublicKey, _ amount: UInt64) throws {
        guard var account = try store.account(key), account.balance >= amount else {
            let balance = try store.account(key)?.balance ?? 0
            throw Rejection(.insufficientFunds, "balance \(balance) is less than \(amount)")
        }
        account.balance -= amount
        try store.saveAccount(account)
    }

    func credit(_ key: PublicKey, _ amount: UInt64) throws {
        var account = try store.account(key) ?? AccountState(key: key, balance: 0, nonce: 0)
        let (sum, overflow) = account.balance.addingReportingOverflow(amount)
        // The supply fits in Int64 (genesis), so no balance can exceed it.
        precondition(!overflow && sum <= UInt64(Int64.max), "balance overflow: supply is not conserved")
        account.balance = sum
        try store.saveAccount(account)
    }
}
