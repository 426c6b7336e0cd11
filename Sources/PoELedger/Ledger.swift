public import PoECrypto
import Foundation
import GRDB

/// The replicated application: a deterministic state machine over one SQLite database.
/// Every validator applies each committed batch, in order; each batch is one SQLite
/// transaction that also records its height, so a crash leaves the ledger at a batch
/// boundary and re-applying an applied batch is a no-op.
public final class Ledger: Sendable {
    public let genesis: Genesis
    private let database: DatabaseQueue
    /// Where transaction signatures are checked: a node shares one cache between its
    /// consensus shell and its ledger, so each signature is verified once.
    private let signatures: SignatureCache

    private init(genesis: Genesis, database: DatabaseQueue, signatures: SignatureCache) {
        self.genesis = genesis
        self.database = database
        self.signatures = signatures
    }

    /// Opens (or creates) the ledger at `path`; nil opens a private in-memory ledger.
    /// A new database gets the genesis state at height 0; an existing one must have been
    /// made from the same genesis.
    public static func open(
        path: String?, genesis: Genesis, signatures: SignatureCache = SignatureCache()
    ) throws -> Ledger {
        do { try genesis.validate() } catch { throw LedgerError.invalidGenesis(error) }
        let ledger = Ledger(genesis: genesis, database: try openDatabase(path: path), signatures: signatures)
        try ledger.database.write { db in
            try Schema.create(db)
            let store = Store(db: db)
            if let stored = try store.genesisDigest() {
                guard stored == genesis.digest else { throw LedgerError.genesisMismatch(stored: stored, given: genesis.digest) }
                return
            }
            try writeGenesis(genesis, store: store)
        }
        return ledger
    }

    /// Creates a ledger at `path` from a snapshot fetched from a peer, after checking it
    /// against `expectedRoot` (a root the node trusts, e.g. from a stable checkpoint).
    public static func restore(
        path: String?, genesis: Genesis, from snapshot: LedgerSnapshot, expectedRoot: Digest
    ) throws -> Ledger {
        do { try genesis.validate() } catch { throw LedgerError.invalidGenesis(error) }
        guard snapshot.genesisDigest == genesis.digest else { throw LedgerError.snapshotGenesisMismatch }
        let actual = snapshot.stateRoot
        guard actual == expectedRoot else { throw LedgerError.snapshotRootMismatch(expected: expectedRoot, actual: actual) }
        let ledger = Ledger(genesis: genesis, database: try openDatabase(path: path), signatures: SignatureCache())
        try ledger.database.write { db in
            try Schema.create(db)
            let store = Store(db: db)
            guard try store.meta() == nil else { throw LedgerError.databaseNotEmpty }
            try store.write(snapshot)
            // Read back what was written: the restored state must have the trusted root.
            let written = try store.snapshot().stateRoot
            guard written == expectedRoot else { throw LedgerError.snapshotRootMismatch(expected: expectedRoot, actual: written) }
        }
        return ledger
    }

    /// Replaces the whole state by `snapshot` (fetched from a peer by a node that fell
    /// behind), after checking it against `expectedRoot`, in one transaction: a crash
    /// leaves the old state or the new one, and readers never see a mix. Receipts of
    /// heights the node skipped are not fetched; they are not part of the state.
    /// A snapshot not above the current height changes nothing. Anchors are write-once,
    /// even here: the ones this ledger holds must be in the snapshot unchanged (they
    /// are, on the same chain), and only the snapshot's new ones are added.
    public func install(_ snapshot: LedgerSnapshot, expectedRoot: Digest) throws {
        guard snapshot.genesisDigest == genesis.digest else { throw LedgerError.snapshotGenesisMismatch }
        let actual = snapshot.stateRoot
        guard actual == expectedRoot else { throw LedgerError.snapshotRootMismatch(expected: expectedRoot, actual: actual) }
        try database.write { db in
            let store = Store(db: db)
            guard let meta = try store.meta(), snapshot.meta.height > meta.height else { return }
            let incoming = Dictionary(snapshot.anchors.map { ($0.jobID, $0) }, uniquingKeysWith: { first, _ in first })
            let kept = try store.allAnchors()
            for anchor in kept where incoming[anchor.jobID] != anchor {
                throw LedgerError.snapshotContradictsAnchor(jobID: anchor.jobID)
            }
            for table in Schema.stateTables where table != "anchor" { try db.execute(sql: "DELETE FROM \(table)") }
            try store.write(snapshot, anchorsHeld: Set(kept.map(\.jobID)))
            let written = try store.snapshot().stateRoot
            guard written == expectedRoot else { throw LedgerError.snapshotRootMismatch(expected: expectedRoot, actual: written) }
        }
    }

    /// What the write-ahead log is cut back to after a checkpoint of the database.
    public static let walBytesKept = 64 << 20

    private static func openDatabase(path: String?) throws -> DatabaseQueue {
        var configuration = Configuration()
        guard let path else { return try DatabaseQueue(configuration: configuration) }
        configuration.journalMode = .wal
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        // A committed batch must survive a power cut: WAL with a sync on every commit. GRDB
        // leaves a WAL connection at NORMAL, so this is set after opening (one connection).
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        // The WAL is reused after each checkpoint, but keeps the size of its largest write
        // (a state install) unless told otherwise: cut it back to this after checkpoints.
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_size_limit = \(Ledger.walBytesKept)") }
        return queue
    }

    private static func writeGenesis(_ genesis: Genesis, store: Store) throws {
        try store.insertMeta(LedgerMeta(height: 0, minted: genesis.mintedSupply, burned: 0), genesis: genesis.digest)
        for account in genesis.accounts {
            try store.saveAccount(AccountState(key: account.key, balance: account.balance, nonce: 0))
        }
        for validator in genesis.validators {
            try store.saveValidator(
                ValidatorState(
                    account: validator.account, nodeKey: validator.nodeKey, endpoint: validator.endpoint,
                    bond: validator.bond, unbonding: 0, releaseHeight: 0, jailed: false, registeredHeight: 0))
            try store.insertEpochMember(EpochMember(epoch: 0, nodeKey: validator.nodeKey, account: validator.account))
        }
    }

    // MARK: applying batches

    /// Applies the batch at `height + 1` in one SQLite transaction. A height already applied
    /// returns the stored receipt (the batch must be the same one); a gap is an error.
    /// Failed transactions are recorded in the receipt, they do not make this throw.
    public func apply(batch: Batch) throws -> BatchReceipt {
        guard batch.transactions.count <= Batch.transactionCountMax else {
            throw LedgerError.tooManyTransactions(count: batch.transactions.count)
        }
        // A batch built in memory (not decoded) could break the encoding bounds that the
        // receipt's transaction IDs and the batch digest rely on: refuse it whole.
        for (index, transaction) in batch.transactions.enumerated()
        where transaction.body.count > SignedTransaction.bodyBytesMax {
            throw LedgerError.oversizedTransaction(index: index, bytes: transaction.body.count)
        }
        return try database.write { db in
            let store = Store(db: db)
            guard let meta = try store.meta() else { throw LedgerError.corrupt("no meta row") }
            if batch.height <= meta.height { return try storedReceipt(batch, store: store) }
            guard batch.height == meta.height + 1 else {
                throw LedgerError.heightGap(expected: meta.height + 1, got: batch.height)
            }
            return try BatchApplier(store: store, genesis: genesis, height: batch.height, signatures: signatures).apply(batch)
        }
    }

    private func storedReceipt(_ batch: Batch, store: Store) throws -> BatchReceipt {
        guard let receipt = try store.receipt(height: batch.height) else {
            throw LedgerError.receiptUnavailable(height: batch.height)
        }
        guard receipt.batchDigest == batch.digest else { throw LedgerError.conflictingBatch(height: batch.height) }
        return receipt
    }

    // MARK: reading

    /// Runs `body` in one read transaction. Not `DatabaseQueue.read`: GRDB makes that
    /// read-only with `PRAGMA query_only`, and SQLite expires every prepared statement
    /// when a flag pragma changes, so each read made every cached statement of the next
    /// batch compile again (a fifth of the simulator's time went to SQLite's parser).
    /// The queue is the ledger's only connection, so nothing writes between these reads.
    private func read<T>(_ body: (Store) throws -> T) throws -> T {
        try database.unsafeRead { db in
            var value: T?
            try db.inTransaction(.deferred) {
                value = try body(Store(db: db))
                return .commit
            }
            guard let value else { throw LedgerError.corrupt("a read transaction returned nothing") }
            return value
        }
    }

    /// The height of the last applied batch (0 right after genesis).
    public func height() throws -> UInt64 {
        try read { store in
            guard let meta = try store.meta() else { throw LedgerError.corrupt("no meta row") }
            return meta.height
        }
    }

    public func meta() throws -> LedgerMeta {
        try read { store in
            guard let meta = try store.meta() else { throw LedgerError.corrupt("no meta row") }
            return meta
        }
    }

    /// Commits to the whole state (see `LedgerSnapshot.stateRoot`). Costs a full read, a
    /// row at a time.
    public func stateRoot() throws -> Digest { try streamSnapshot { _ in } }

    /// The state as `LedgerSnapshot` encodes it, handed to `sink` in chunks of at least
    /// `chunkBytes` (the last may be shorter), and its root: one read transaction, so one
    /// height, and one row and one chunk in memory at a time, where `snapshot()` holds the
    /// whole state twice over (rows, then their encoding). Checkpoints use this.
    public func streamSnapshot(chunkBytes: Int = 64 << 10, to sink: ([UInt8]) throws -> Void) throws -> Digest {
        precondition(chunkBytes > 0, "a chunk holds at least one byte")
        return try read { store in
            var chunk: [UInt8] = []
            chunk.reserveCapacity(chunkBytes)
            let root = try store.streamSnapshot { piece in
                chunk.append(contentsOf: piece)
                guard chunk.count >= chunkBytes else { return }
                try sink(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
            if !chunk.isEmpty { try sink(chunk) }
            return root
        }
    }

    /// Every state row, read in one transaction so it is one consistent height.
    public func snapshot() throws -> LedgerSnapshot { try read { try $0.snapshot() } }

    public func account(_ key: PublicKey) throws -> AccountState? { try read { try $0.account(key) } }
    public func validator(account: PublicKey) throws -> ValidatorState? { try read { try $0.validator(account: account) } }
    public func validator(nodeKey: PublicKey) throws -> ValidatorState? { try read { try $0.validator(nodeKey: nodeKey) } }
    /// A job, from the state or, once retired from it, from history.
    public func job(_ id: Digest) throws -> JobState? { try read { try $0.job(id) ?? $0.retiredJob(id) } }
    /// Jobs still accepting attestations (pending or finalized), in ID order: what a
    /// validator node scans for work.
    public func unsettledJobs() throws -> [JobState] { try read { try $0.unsettledJobs() } }
    public func hasUnsettledJobs() throws -> Bool { try read { try $0.hasUnsettledJobs() } }
    public func anchor(jobID: Digest) throws -> AnchorEntry? { try read { try $0.anchor(jobID) } }

    /// The most rows `recentJobs` and `recentEvidence` return: lists for a status page,
    /// never a way to read the whole history.
    public static let recentRowsMax = 200

    /// The `limit` most recently submitted jobs, newest first, all or only those of
    /// `status`. Reads only the rows returned (an index per order).
    public func recentJobs(submitter: PublicKey? = nil, status: JobStatus? = nil, limit: Int) throws -> [JobState] {
        precondition((1...Ledger.recentRowsMax).contains(limit), "limit \(limit) outside 1...\(Ledger.recentRowsMax)")
        return try read { store in
            if let submitter { return try store.recentJobs(submitter: submitter, status: status, limit: limit) }
            return try store.recentJobs(status: status, limit: limit)
        }
    }

    /// The `limit` most recent evidence records (validators proven to equivocate), newest first.
    public func recentEvidence(limit: Int) throws -> [EvidenceRecord] {
        precondition((1...Ledger.recentRowsMax).contains(limit), "limit \(limit) outside 1...\(Ledger.recentRowsMax)")
        return try read { try $0.recentEvidence(limit: limit) }
    }
    public func code(name: String) throws -> CodeEntry? { try read { try $0.code(name) } }

    /// The blobs the ledger still names and a node keeps: the code and input of every job
    /// unsettled or whose deadline is at or above `deadlineFrom`, the output and log of
    /// their attestations, and every published code. Any other blob may be deleted.
    public func blobsInUse(deadlineFrom: UInt64) throws -> Set<Digest> {
        try read { store in
            var inUse = Set(try store.allCodeHashes())
            for job in try store.jobs(deadlineFrom: deadlineFrom) {
                inUse.insert(job.codeHash)
                inUse.insert(job.spec.inputHash)
                for record in try store.attestations(jobID: job.id) + store.retiredAttestations(jobID: job.id) {
                    inUse.insert(record.signed.attestation.outputHash)
                    inUse.insert(record.signed.attestation.logHash)
                }
            }
            return inUse
        }
    }
    public func receipt(height: UInt64) throws -> BatchReceipt? { try read { try $0.receipt(height: height) } }
    /// A job's attestations, from the state or, once the job is retired, from history.
    public func attestations(jobID: Digest) throws -> [AttestationRecord] {
        try read { store in
            let live = try store.attestations(jobID: jobID)
            return live.isEmpty ? try store.retiredAttestations(jobID: jobID) : live
        }
    }

    /// Where a transaction was ordered by this ledger, with its result: durable history,
    /// so it survives a restart. Nil for one never ordered here, or ordered at a height
    /// this ledger skipped by installing a later state.
    public func orderedTransaction(_ id: Digest) throws -> (height: UInt64, result: TransactionResult)? {
        try read { store in
            guard let (receipt, position) = try store.transactionLocation(id) else { return nil }
            return (receipt.height, receipt.results[position])
        }
    }

    /// The epoch of a height.
    public func epoch(ofHeight height: UInt64) -> UInt64 { height / genesis.parameters.epochLengthHeights }

    /// The set of the epoch of the last applied height.
    public func currentValidatorSet() throws -> ValidatorSet {
        guard let set = try validatorSet(epoch: epoch(ofHeight: try height())) else {
            throw LedgerError.corrupt("the current epoch has no recorded set")
        }
        return set
    }

    /// The set of an epoch that has started (nil for a future epoch).
    public func validatorSet(epoch: UInt64) throws -> ValidatorSet? {
        try read { store in
            let current = try store.meta().map { $0.height / genesis.parameters.epochLengthHeights } ?? 0
            guard epoch <= current else { return nil }
            return try ValidatorSet(epoch: epoch, nodeKeys: try store.epochMembers(epoch).map(\.nodeKey))
        }
    }

    /// The proof of a finalized job: its spec, agreed digest, every matching attestation
    /// (at least a quorum) and the job's validator set. Nil until the job is finalized.
    public func resultProof(jobID: Digest) throws -> ResultProof? {
        try read { store in
            // A retired job's proof is read from history: it needs no state.
            let live = try store.job(jobID)
            guard let job = try live ?? store.retiredJob(jobID), let agreed = job.agreedDigest else { return nil }
            let records = live == nil ? try store.retiredAttestations(jobID: jobID) : try store.attestations(jobID: jobID)
            let matching = records.map(\.signed)
                .filter { $0.attestation.resultDigest == agreed }
            let set = try ValidatorSet(epoch: job.epoch, nodeKeys: try store.epochMembers(job.epoch).map(\.nodeKey))
            return ResultProof(
                chainID: genesis.chainID, jobID: jobID, submitter: job.submitter, nonce: job.nonce, spec: job.spec,
                agreedDigest: agreed, validatorSet: set, attestations: matching)
        }
    }

    /// Runs raw SQL on the ledger's database: for tests that plant faults, never for state.
    func executeForTesting(sql: String) throws {
        try database.write { db in try db.execute(sql: sql) }
    }

    /// SQLite's plan for `sql` (the `detail` column of EXPLAIN QUERY PLAN): for tests that
    /// a read uses its index.
    func queryPlanForTesting(_ sql: String) throws -> [String] {
        try database.read { db in try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)").map { $0["detail"] } }
    }

    /// Reads a PRAGMA of the ledger's connection: for tests of the durability settings.
    func pragmaForTesting(_ name: String) throws -> String? {
        try database.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }
}
