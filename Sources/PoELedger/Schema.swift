import GRDB

/// The ledger's tables. Amounts, heights and nonces are stored as the bit pattern of their
/// UInt64 in SQLite's signed 64-bit integers; amounts never exceed Int64.max because the
/// whole supply does not (checked at genesis), so the CHECKs below catch logic errors.
enum Schema {
    /// The tables the state root covers (every table but `receipt`).
    static let stateTables = [
        "meta", "account", "validator", "epochMember", "code", "job", "attestation", "anchor", "evidence",
    ]

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 0), genesis BLOB NOT NULL,
            height INTEGER NOT NULL, minted INTEGER NOT NULL, burned INTEGER NOT NULL CHECK (burned >= 0))
        """,
        """
        CREATE TABLE IF NOT EXISTS account (
            key BLOB PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0), nonce INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS validator (
            account BLOB PRIMARY KEY, nodeKey BLOB NOT NULL UNIQUE, endpoint TEXT NOT NULL,
            bond INTEGER NOT NULL CHECK (bond >= 0), unbonding INTEGER NOT NULL CHECK (unbonding >= 0),
            releaseHeight INTEGER NOT NULL, jailed INTEGER NOT NULL, registeredHeight INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS epochMember (
            epoch INTEGER NOT NULL, nodeKey BLOB NOT NULL, account BLOB NOT NULL, PRIMARY KEY (epoch, nodeKey))
        """,
        """
        CREATE TABLE IF NOT EXISTS code (
            name TEXT PRIMARY KEY, codeHash BLOB NOT NULL, owner BLOB NOT NULL, height INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS job (
            id BLOB PRIMARY KEY, body BLOB NOT NULL, status INTEGER NOT NULL,
            deadlineHeight INTEGER NOT NULL, escrow INTEGER NOT NULL CHECK (escrow >= 0),
            submitHeight INTEGER NOT NULL DEFAULT 0, submitter BLOB)
        """,
        "CREATE INDEX IF NOT EXISTS jobDue ON job (status, deadlineHeight)",
        """
        CREATE TABLE IF NOT EXISTS attestation (
            jobID BLOB NOT NULL, nodeKey BLOB NOT NULL, resultDigest BLOB NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY (jobID, nodeKey))
        """,
        """
        CREATE TABLE IF NOT EXISTS anchor (jobID BLOB PRIMARY KEY, digest BLOB NOT NULL, height INTEGER NOT NULL)
        """,
        // Anchors are write-once: enforced by the database as well as by the code.
        """
        CREATE TRIGGER IF NOT EXISTS anchorNoUpdate BEFORE UPDATE ON anchor
        BEGIN SELECT RAISE(ABORT, 'anchors are write-once'); END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS anchorNoDelete BEFORE DELETE ON anchor
        BEGIN SELECT RAISE(ABORT, 'anchors are write-once'); END
        """,
        """
        CREATE TABLE IF NOT EXISTS evidence (
            nodeKey BLOB NOT NULL, jobID BLOB NOT NULL, height INTEGER NOT NULL, PRIMARY KEY (nodeKey, jobID))
        """,
        """
        CREATE TABLE IF NOT EXISTS receipt (height INTEGER PRIMARY KEY, batchDigest BLOB NOT NULL, body BLOB NOT NULL)
        """,
        // Where each transaction was ordered: history like receipts (not state), so that a
        // node answers "committed at height h" after a restart. The first ordering wins:
        // a replay of the same signed bytes is rejected by its nonce and recorded nowhere.
        """
        CREATE TABLE IF NOT EXISTS transactionLocation (
            id BLOB PRIMARY KEY, height INTEGER NOT NULL, position INTEGER NOT NULL)
        """,
        // Jobs retired from the state (`Store.retireJobs`) and their attestations: history
        // like receipts, outside the root and never read by a batch, so that a node keeps
        // serving their proofs while the state holds only live work.
        """
        CREATE TABLE IF NOT EXISTS retiredJob (
            id BLOB PRIMARY KEY, body BLOB NOT NULL, deadlineHeight INTEGER NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS retiredJobDeadline ON retiredJob (deadlineHeight)",
        """
        CREATE TABLE IF NOT EXISTS retiredAttestation (
            jobID BLOB NOT NULL, nodeKey BLOB NOT NULL, body BLOB NOT NULL, PRIMARY KEY (jobID, nodeKey))
        """,
    ]

    /// Indexes for the API's lists of recent jobs and evidence (newest first, bounded):
    /// each list reads only the rows it returns. Created after `addListColumns`, since a
    /// ledger written before those columns existed gets them there.
    static let listIndexes = [
        "CREATE INDEX IF NOT EXISTS jobRecent ON job (submitHeight, id)",
        "CREATE INDEX IF NOT EXISTS jobStatusRecent ON job (status, submitHeight, id)",
        "CREATE INDEX IF NOT EXISTS jobSubmitterRecent ON job (submitter, submitHeight, id)",
        "CREATE INDEX IF NOT EXISTS evidenceRecent ON evidence (height, nodeKey, jobID)",
        // The blob janitor reads the jobs whose deadline is recent (`Ledger.blobsInUse`).
        "CREATE INDEX IF NOT EXISTS jobDeadline ON job (deadlineHeight)",
    ]

    static func create(_ db: Database) throws {
        for statement in statements { try db.execute(sql: statement) }
        try addListColumns(db)
        for statement in listIndexes { try db.execute(sql: statement) }
    }

    /// A ledger made before the list columns of `job` existed (`submitHeight`,
    /// `submitter`): adds those missing and fills them from each job's body, once. They
    /// only order and select the API's lists; the state (and its root) is the bodies.
    static func addListColumns(_ db: Database) throws {
        let present = Set(try db.columns(in: "job").map(\.name))
        var added = false
        if !present.contains("submitHeight") {
            try db.execute(sql: "ALTER TABLE job ADD COLUMN submitHeight INTEGER NOT NULL DEFAULT 0")
            added = true
        }
        if !present.contains("submitter") {
            try db.execute(sql: "ALTER TABLE job ADD COLUMN submitter BLOB")
            added = true
        }
        guard added else { return }
        let store = Store(db: db)
        for job in try store.allJobs() { try store.saveJob(job) }
    }
}
