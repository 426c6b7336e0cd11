import Foundation
import GRDB
import PoECrypto
import PoEWire

/// Typed reads and writes of the ledger tables, inside a transaction the caller opened.
/// Every multi-row read has an ORDER BY on a key, so every node reads the same order.
struct Store {
    let db: Database

    // MARK: meta

    func meta() throws -> LedgerMeta? {
        guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT height, minted, burned FROM meta WHERE id = 0")) else { return nil }
        return LedgerMeta(height: u64(row, "height"), minted: u64(row, "minted"), burned: u64(row, "burned"))
    }

    func genesisDigest() throws -> Digest? {
        guard let data = try Data.fetchOne(try db.cachedStatement(sql: "SELECT genesis FROM meta WHERE id = 0")) else { return nil }
        return try digest(data, "meta.genesis")
    }

    func insertMeta(_ meta: LedgerMeta, genesis: Digest) throws {
        try db.cachedStatement(sql: "INSERT INTO meta (id, genesis, height, minted, burned) VALUES (0, ?, ?, ?, ?)").execute(arguments: [blob(genesis.bytes), bits(meta.height), bits(meta.minted), bits(meta.burned)])
    }

    func setHeight(_ height: UInt64) throws {
        try db.cachedStatement(sql: "UPDATE meta SET height = ? WHERE id = 0").execute(arguments: [bits(height)])
    }

    func addBurned(_ amount: UInt64) throws {
        guard amount > 0 else { return }
        try db.cachedStatement(sql: "UPDATE meta SET burned = burned + ? WHERE id = 0").execute(arguments: [bits(amount)])
    }

    // MARK: accounts

    func account(_ key: PublicKey) throws -> AccountState? {
        // The key is the one asked for: not re-read from the row, whose parse costs a
        // square root on every debit and credit.
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT balance, nonce FROM account WHERE key = ?"), arguments: [blob(key.bytes)])
            .map { row in AccountState(key: key, balance: u64(row, "balance"), nonce: u64(row, "nonce")) }
    }

    func saveAccount(_ account: AccountState) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO account (key, balance, nonce) VALUES (?, ?, ?)").execute(arguments: [blob(account.key.bytes), bits(account.balance), bits(account.nonce)])
    }

    func allAccounts() throws -> [AccountState] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.accountsInOrder)).map(accountRow)
    }

    private func accountRow(_ row: Row) throws -> AccountState {
        AccountState(key: try publicKey(row["key"], "account.key"), balance: u64(row, "balance"), nonce: u64(row, "nonce"))
    }

    // MARK: validators

    private static let validatorColumns =
        "account, nodeKey, endpoint, bond, unbonding, releaseHeight, jailed, registeredHeight"

    func validator(account: PublicKey) throws -> ValidatorState? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Store.validatorColumns) FROM validator WHERE account = ?"), arguments: [blob(account.bytes)]
        ).map(validatorRow)
    }

    func validator(nodeKey: PublicKey) throws -> ValidatorState? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Store.validatorColumns) FROM validator WHERE nodeKey = ?"), arguments: [blob(nodeKey.bytes)]
        ).map(validatorRow)
    }

    func saveValidator(_ v: ValidatorState) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO validator (\(Store.validatorColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                blob(v.account.bytes), blob(v.nodeKey.bytes), v.endpoint, bits(v.bond), bits(v.unbonding),
                bits(v.releaseHeight), v.jailed, bits(v.registeredHeight),
            ])
    }

    func allValidators() throws -> [ValidatorState] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.validatorsInOrder)).map(validatorRow)
    }

    /// The validators eligible for a new epoch: not jailed, bond at least the minimum;
    /// the largest bonds first (ties by node key) up to the set's bound.
    func eligibleValidators(minimumStake: UInt64) throws -> [ValidatorState] {
        try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT \(Store.validatorColumns) FROM validator WHERE jailed = 0 AND bond >= ?
                ORDER BY bond DESC, nodeKey ASC LIMIT ?
                """),
            arguments: [bits(minimumStake), ValidatorSet.memberCountMax]
        ).map(validatorRow)
    }

    private func validatorRow(_ row: Row) throws -> ValidatorState {
        ValidatorState(
            account: try publicKey(row["account"], "validator.account"),
            nodeKey: try publicKey(row["nodeKey"], "validator.nodeKey"),
            endpoint: row["endpoint"], bond: u64(row, "bond"), unbonding: u64(row, "unbonding"),
            releaseHeight: u64(row, "releaseHeight"), jailed: row["jailed"], registeredHeight: u64(row, "registeredHeight"))
    }

    // MARK: epoch sets

    func insertEpochMember(_ member: EpochMember) throws {
        try db.cachedStatement(sql: "INSERT INTO epochMember (epoch, nodeKey, account) VALUES (?, ?, ?)").execute(arguments: [bits(member.epoch), blob(member.nodeKey.bytes), blob(member.account.bytes)])
    }

    func epochMembers(_ epoch: UInt64) throws -> [EpochMember] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT epoch, nodeKey, account FROM epochMember WHERE epoch = ? ORDER BY nodeKey"),
            arguments: [bits(epoch)]
        ).map(memberRow)
    }

    func allEpochMembers() throws -> [EpochMember] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.epochMembersInOrder)).map(memberRow)
    }

    private func memberRow(_ row: Row) throws -> EpochMember {
        EpochMember(
            epoch: u64(row, "epoch"), nodeKey: try publicKey(row["nodeKey"], "epochMember.nodeKey"),
            account: try publicKey(row["account"], "epochMember.account"))
    }

    // MARK: code registry

    func code(_ name: String) throws -> CodeEntry? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT name, codeHash, owner, height FROM code WHERE name = ?"), arguments: [name])
            .map(codeRow)
    }

    func insertCode(_ entry: CodeEntry) throws {
        try db.cachedStatement(sql: "INSERT INTO code (name, codeHash, owner, height) VALUES (?, ?, ?, ?)").execute(arguments: [entry.name, blob(entry.codeHash.bytes), blob(entry.owner.bytes), bits(entry.height)])
    }

    func allCodes() throws -> [CodeEntry] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.codesInOrder)).map(codeRow)
    }

    private func codeRow(_ row: Row) throws -> CodeEntry {
        CodeEntry(
            name: row["name"], codeHash: try digest(row["codeHash"], "code.codeHash"),
            owner: try publicKey(row["owner"], "code.owner"), height: u64(row, "height"))
    }

    // MARK: jobs

    func job(_ id: Digest) throws -> JobState? {
        guard let data = try Data.fetchOne(try db.cachedStatement(sql: "SELECT body FROM job WHERE id = ?"), arguments: [blob(id.bytes)]) else {
            return nil
        }
        return try decode(JobState.self, data, "job")
    }

    func saveJob(_ job: JobState) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO job (id, body, status, deadlineHeight, escrow, submitHeight, submitter) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                blob(job.id.bytes), blob(job.wireBytes), Int64(job.status.rawValue), bits(job.deadlineHeight),
                bits(job.escrow), bits(job.submitHeight), blob(job.submitter.bytes),
            ])
    }

    /// The `limit` most recently submitted jobs (of `status`, when given), newest first;
    /// ties at one height by ID, descending. Reads index `jobRecent` or `jobStatusRecent`
    /// and only the rows returned.
    func recentJobs(status: JobStatus?, limit: Int) throws -> [JobState] {
        let rows: [Data]
        if let status {
            rows = try Data.fetchAll(
                try db.cachedStatement(sql: "SELECT body FROM job WHERE status = ? ORDER BY submitHeight DESC, id DESC LIMIT ?"),
                arguments: [Int64(status.rawValue), limit])
        } else {
            rows = try Data.fetchAll(
                try db.cachedStatement(sql: "SELECT body FROM job ORDER BY submitHeight DESC, id DESC LIMIT ?"),
                arguments: [limit])
        }
        return try rows.map { try decode(JobState.self, $0, "job") }
    }

    /// The `limit` most recently submitted jobs of `submitter` (of `status`, when given),
    /// newest first, through index `jobSubmitterRecent`.
    func recentJobs(submitter: PublicKey, status: JobStatus?, limit: Int) throws -> [JobState] {
        let rows: [Data]
        if let status {
            rows = try Data.fetchAll(
                try db.cachedStatement(
                    sql: "SELECT body FROM job WHERE submitter = ? AND status = ? ORDER BY submitHeight DESC, id DESC LIMIT ?"),
                arguments: [blob(submitter.bytes), Int64(status.rawValue), limit])
        } else {
            rows = try Data.fetchAll(
                try db.cachedStatement(sql: "SELECT body FROM job WHERE submitter = ? ORDER BY submitHeight DESC, id DESC LIMIT ?"),
                arguments: [blob(submitter.bytes), limit])
        }
        return try rows.map { try decode(JobState.self, $0, "job") }
    }

    /// Unsettled jobs whose deadline is at or before `height`, in ID order.
    func jobsDue(height: UInt64) throws -> [Digest] {
        try Data.fetchAll(try db.cachedStatement(sql: "SELECT id FROM job WHERE status IN (?, ?) AND deadlineHeight <= ? ORDER BY id"),
            arguments: [Int64(JobStatus.pending.rawValue), Int64(JobStatus.finalized.rawValue), bits(height)]
        ).map { try digest($0, "job.id") }
    }

    /// Jobs not yet settled (pending or finalized), in ID order.
    /// Whether some job is still waiting for attestations or its deadline (index jobDue).
    func hasUnsettledJobs() throws -> Bool {
        try Bool.fetchOne(
            try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM job WHERE status IN (?, ?))"),
            arguments: [Int64(JobStatus.pending.rawValue), Int64(JobStatus.finalized.rawValue)]) ?? false
    }

    func unsettledJobs() throws -> [JobState] {
        try Data.fetchAll(
            try db.cachedStatement(sql: "SELECT body FROM job WHERE status IN (?, ?) ORDER BY id"),
            arguments: [Int64(JobStatus.pending.rawValue), Int64(JobStatus.finalized.rawValue)]
        ).map { try decode(JobState.self, $0, "job") }
    }

    /// Jobs whose deadline is at or above `height`, retired ones included, and every
    /// unsettled job whatever its deadline: those whose blobs a node keeps
    /// (`Ledger.blobsInUse`).
    func jobs(deadlineFrom height: UInt64) throws -> [JobState] {
        try Data.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT body FROM job WHERE deadlineHeight >= ?
                    UNION SELECT body FROM job WHERE status IN (?, ?)
                    UNION SELECT body FROM retiredJob WHERE deadlineHeight >= ?
                    """),
            arguments: [bits(height), Int64(JobStatus.pending.rawValue), Int64(JobStatus.finalized.rawValue), bits(height)]
        ).map { try decode(JobState.self, $0, "job") }
    }

    // MARK: retired jobs

    /// Moves up to `limit` settled or failed jobs whose deadline is below `height`, with
    /// their attestations, out of the state into the retired tables; returns how many.
    /// Part of applying a batch, so every node retires the same jobs at the same height.
    func retireJobs(deadlineBelow height: UInt64, limit: Int) throws -> Int {
        let ids = try Data.fetchAll(
            try db.cachedStatement(
                sql: "SELECT id FROM job WHERE status IN (?, ?) AND deadlineHeight < ? ORDER BY deadlineHeight, id LIMIT ?"),
            arguments: [Int64(JobStatus.settled.rawValue), Int64(JobStatus.failed.rawValue), bits(height), limit])
        for id in ids {
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO retiredJob (id, body, deadlineHeight) SELECT id, body, deadlineHeight FROM job WHERE id = ?"
            ).execute(arguments: [id])
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO retiredAttestation (jobID, nodeKey, body)
                    SELECT jobID, nodeKey, body FROM attestation WHERE jobID = ?
                    """
            ).execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM attestation WHERE jobID = ?").execute(arguments: [id])
            try db.cachedStatement(sql: "DELETE FROM job WHERE id = ?").execute(arguments: [id])
        }
        return ids.count
    }

    func retiredJob(_ id: Digest) throws -> JobState? {
        guard
            let data = try Data.fetchOne(
                try db.cachedStatement(sql: "SELECT body FROM retiredJob WHERE id = ?"), arguments: [blob(id.bytes)])
        else { return nil }
        return try decode(JobState.self, data, "retired job")
    }

    func retiredAttestations(jobID: Digest) throws -> [AttestationRecord] {
        try Data.fetchAll(
            try db.cachedStatement(sql: "SELECT body FROM retiredAttestation WHERE jobID = ? ORDER BY nodeKey"),
            arguments: [blob(jobID.bytes)]
        ).map { try decode(AttestationRecord.self, $0, "retired attestation") }
    }

    func allCodeHashes() throws -> [Digest] {
        try Data.fetchAll(try db.cachedStatement(sql: "SELECT codeHash FROM code")).map { try digest($0, "a code row's hash") }
    }

    func allJobs() throws -> [JobState] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.jobsInOrder)).map(jobRow)
    }

    // MARK: attestations

    func hasAttestation(jobID: Digest, nodeKey: PublicKey) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM attestation WHERE jobID = ? AND nodeKey = ?)"),
            arguments: [blob(jobID.bytes), blob(nodeKey.bytes)]) ?? false
    }

    func insertAttestation(_ record: AttestationRecord) throws {
        let a = record.signed.attestation
        try db.cachedStatement(sql: "INSERT INTO attestation (jobID, nodeKey, resultDigest, body) VALUES (?, ?, ?, ?)").execute(arguments: [blob(a.jobID.bytes), blob(a.nodeKey.bytes), blob(a.resultDigest.bytes), blob(record.wireBytes)])
    }

    func countAttestations(jobID: Digest, resultDigest: Digest) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM attestation WHERE jobID = ? AND resultDigest = ?"),
            arguments: [blob(jobID.bytes), blob(resultDigest.bytes)]) ?? 0
    }

    func countAttestations(jobID: Digest) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM attestation WHERE jobID = ?"), arguments: [blob(jobID.bytes)]) ?? 0
    }

    /// A job's attestations in node-key order.
    func attestations(jobID: Digest) throws -> [AttestationRecord] {
        try Data.fetchAll(try db.cachedStatement(sql: "SELECT body FROM attestation WHERE jobID = ? ORDER BY nodeKey"), arguments: [blob(jobID.bytes)]
        ).map { try decode(AttestationRecord.self, $0, "attestation") }
    }

    func allAttestations() throws -> [AttestationRecord] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.attestationsInOrder)).map(attestationRow)
    }

    // MARK: anchors

    func anchor(_ jobID: Digest) throws -> AnchorEntry? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT jobID, digest, height FROM anchor WHERE jobID = ?"), arguments: [blob(jobID.bytes)])
            .map(anchorRow)
    }

    func insertAnchor(_ entry: AnchorEntry) throws {
        try db.cachedStatement(sql: "INSERT INTO anchor (jobID, digest, height) VALUES (?, ?, ?)").execute(arguments: [blob(entry.jobID.bytes), blob(entry.digest.bytes), bits(entry.height)])
    }

    func allAnchors() throws -> [AnchorEntry] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.anchorsInOrder)).map(anchorRow)
    }

    private func anchorRow(_ row: Row) throws -> AnchorEntry {
        AnchorEntry(
            jobID: try digest(row["jobID"], "anchor.jobID"), digest: try digest(row["digest"], "anchor.digest"),
            height: u64(row, "height"))
    }

    // MARK: evidence

    func hasEvidence(nodeKey: PublicKey, jobID: Digest) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM evidence WHERE nodeKey = ? AND jobID = ?)"),
            arguments: [blob(nodeKey.bytes), blob(jobID.bytes)]) ?? false
    }

    func insertEvidence(_ record: EvidenceRecord) throws {
        try db.cachedStatement(sql: "INSERT INTO evidence (nodeKey, jobID, height) VALUES (?, ?, ?)").execute(arguments: [blob(record.nodeKey.bytes), blob(record.jobID.bytes), bits(record.height)])
    }

    func allEvidence() throws -> [EvidenceRecord] {
        try Row.fetchAll(try db.cachedStatement(sql: Store.evidenceInOrder)).map(evidenceRow)
    }

    /// The `limit` most recent evidence records, newest first (index `evidenceRecent`).
    func recentEvidence(limit: Int) throws -> [EvidenceRecord] {
        try Row.fetchAll(
            try db.cachedStatement(
                sql: "SELECT nodeKey, jobID, height FROM evidence ORDER BY height DESC, nodeKey DESC, jobID DESC LIMIT ?"),
            arguments: [limit]
        ).map(evidenceRow)
    }

    private func evidenceRow(_ row: Row) throws -> EvidenceRecord {
        EvidenceRecord(
            nodeKey: try publicKey(row["nodeKey"], "evidence.nodeKey"), jobID: try digest(row["jobID"], "evidence.jobID"),
            height: u64(row, "height"))
    }

    // MARK: receipts

    func receipt(height: UInt64) throws -> BatchReceipt? {
        guard let data = try Data.fetchOne(try db.cachedStatement(sql: "SELECT body FROM receipt WHERE height = ?"), arguments: [bits(height)])
        else { return nil }
        return try decode(BatchReceipt.self, data, "receipt")
    }

    func insertReceipt(_ receipt: BatchReceipt) throws {
        try db.cachedStatement(sql: "INSERT INTO receipt (height, batchDigest, body) VALUES (?, ?, ?)").execute(arguments: [bits(receipt.height), blob(receipt.batchDigest.bytes), blob(receipt.wireBytes)])
        let locate = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO transactionLocation (id, height, position) VALUES (?, ?, ?)")
        for (position, result) in receipt.results.enumerated() {
            try locate.execute(arguments: [blob(result.transactionID.bytes), bits(receipt.height), position])
        }
    }

    /// The receipt that ordered transaction `id`, and its position there.
    func transactionLocation(_ id: Digest) throws -> (receipt: BatchReceipt, position: Int)? {
        guard
            let row = try Row.fetchOne(
                try db.cachedStatement(sql: "SELECT height, position FROM transactionLocation WHERE id = ?"),
                arguments: [blob(id.bytes)])
        else { return nil }
        let height = u64(row, "height")
        let position: Int = row["position"]
        guard let receipt = try receipt(height: height), position < receipt.results.count,
            receipt.results[position].transactionID == id
        else { throw LedgerError.corrupt("transaction location \(id.short) points past its receipt") }
        return (receipt, position)
    }

    // MARK: snapshot

    func snapshot() throws -> LedgerSnapshot {
        guard let meta = try meta(), let genesis = try genesisDigest() else { throw LedgerError.corrupt("no meta row") }
        return LedgerSnapshot(
            genesisDigest: genesis, meta: meta, accounts: try allAccounts(), validators: try allValidators(),
            epochMembers: try allEpochMembers(), codes: try allCodes(), jobs: try allJobs(),
            attestations: try allAttestations(), anchors: try allAnchors(), evidence: try allEvidence())
    }

    /// Streams the state as `LedgerSnapshot` encodes it to `emit`, a piece at a time, and
    /// returns its root (equal to `snapshot().stateRoot`). It holds one row at a time, so a
    /// checkpoint costs the same memory whatever the size of the state.
    func streamSnapshot(_ emit: ([UInt8]) throws -> Void) throws -> Digest {
        guard let meta = try meta(), let genesis = try genesisDigest() else { throw LedgerError.corrupt("no meta row") }
        var head = WireWriter()
        head.write(genesis)
        head.write(meta)
        try emit(head.bytes)
        let tables = [
            try streamTable("account", Store.accountsInOrder, emit, accountRow),
            try streamTable("validator", Store.validatorsInOrder, emit, validatorRow),
            try streamTable("epochMember", Store.epochMembersInOrder, emit, memberRow),
            try streamTable("code", Store.codesInOrder, emit, codeRow),
            try streamTable("job", Store.jobsInOrder, emit, jobRow),
            try streamTable("attestation", Store.attestationsInOrder, emit, attestationRow),
            try streamTable("anchor", Store.anchorsInOrder, emit, anchorRow),
            try streamTable("evidence", Store.evidenceInOrder, emit, evidenceRow),
        ]
        return LedgerSnapshot.root(genesis: genesis, meta: meta, tables: tables)
    }

    /// One table as `WireWriter.writeArray` encodes it (a 32-bit count, then the rows),
    /// and its digest. `table` is both the SQL table and the name hashed into the root.
    private func streamTable<T: WireEncodable>(
        _ table: String, _ rowsInOrder: String, _ emit: ([UInt8]) throws -> Void, _ convert: (Row) throws -> T
    ) throws -> Digest {
        let count = try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM \(table)")) ?? 0
        guard count <= LedgerSnapshot.rowCountMax else {
            throw LedgerError.corrupt("\(count) rows in \(table), over a snapshot's bound of \(LedgerSnapshot.rowCountMax)")
        }
        var prefix = WireWriter()
        prefix.write(UInt32(count))
        try emit(prefix.bytes)
        var hasher = LedgerSnapshot.TableHasher(table, count: count)
        let rows = try Row.fetchCursor(try db.cachedStatement(sql: rowsInOrder))
        var read = 0
        while let row = try rows.next() {
            let bytes = try convert(row).wireBytes
            hasher.update(bytes)
            try emit(bytes)
            read += 1
        }
        // One read transaction holds both queries, so this is corruption, not a race.
        guard read == count else { throw LedgerError.corrupt("\(table) counted \(count) rows and read \(read)") }
        return hasher.finalize()
    }

    /// The state tables in primary-key order, as the snapshot and the root hold them.
    private static let accountsInOrder = "SELECT key, balance, nonce FROM account ORDER BY key"
    private static let validatorsInOrder = "SELECT \(validatorColumns) FROM validator ORDER BY account"
    private static let epochMembersInOrder = "SELECT epoch, nodeKey, account FROM epochMember ORDER BY epoch, nodeKey"
    private static let codesInOrder = "SELECT name, codeHash, owner, height FROM code ORDER BY name"
    private static let jobsInOrder = "SELECT body FROM job ORDER BY id"
    private static let attestationsInOrder = "SELECT body FROM attestation ORDER BY jobID, nodeKey"
    private static let anchorsInOrder = "SELECT jobID, digest, height FROM anchor ORDER BY jobID"
    private static let evidenceInOrder = "SELECT nodeKey, jobID, height FROM evidence ORDER BY nodeKey, jobID"

    private func jobRow(_ row: Row) throws -> JobState { try decode(JobState.self, row["body"], "job") }

    private func attestationRow(_ row: Row) throws -> AttestationRecord {
        try decode(AttestationRecord.self, row["body"], "attestation")
    }

    /// Writes every row of `snapshot` into empty state tables, but for the anchors
    /// already held (write-once: the caller checked they are equal).
    func write(_ snapshot: LedgerSnapshot, anchorsHeld: Set<Digest> = []) throws {
        try insertMeta(snapshot.meta, genesis: snapshot.genesisDigest)
        for row in snapshot.accounts { try saveAccount(row) }
        for row in snapshot.validators { try saveValidator(row) }
        for row in snapshot.epochMembers { try insertEpochMember(row) }
        for row in snapshot.codes { try insertCode(row) }
        for row in snapshot.jobs { try saveJob(row) }
        for row in snapshot.attestations { try insertAttestation(row) }
        for row in snapshot.anchors where !anchorsHeld.contains(row.jobID) { try insertAnchor(row) }
        for row in snapshot.evidence { try insertEvidence(row) }
    }
}

// MARK: column conversions

private func bits(_ value: UInt64) -> Int64 { Int64(bitPattern: value) }
private func blob(_ bytes: [UInt8]) -> Data { Data(bytes) }
private func u64(_ row: Row, _ column: String) -> UInt64 { UInt64(bitPattern: row[column] as Int64) }

private func publicKey(_ data: Data?, _ what: String) throws -> PublicKey {
    guard let data, let key = try? PublicKey(bytes: [UInt8](data)) else { throw LedgerError.corrupt("\(what) is not a public key") }
    return key
}

private func digest(_ data: Data?, _ what: String) throws -> Digest {
    guard let data, let value = Digest(bytes: [UInt8](data)) else { throw LedgerError.corrupt("\(what) is not a digest") }
    return value
}

private func decode<T: WireDecodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
    do {
        return try T.decode(wireBytes: [UInt8](data))
    } catch {
        throw LedgerError.corrupt("\(what): \(error.description)")
    }
}
