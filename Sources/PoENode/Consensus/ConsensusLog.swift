import Foundation
import GRDB
public import PBFT
import PoEWire

public enum ConsensusLogError: Error, CustomStringConvertible {
    case corrupt(row: Int64, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let row, let reason): return "consensus log row \(row) is corrupt: \(reason)"
        }
    }
}

/// The replica's durable memory: every record it persists, appended in one fsynced
/// SQLite transaction before any message of the same step leaves the node, so that a
/// node restarted after `kill -9` never signs two different votes for one slot.
public final class ConsensusLog: Sendable {
    private let database: DatabaseQueue
    /// Compact once this many records accumulate past the last compaction.
    private let compactAfterRecords: Int

    public init(path: String, compactAfterRecords: Int = 4096) throws {
        precondition(compactAfterRecords > 0)
        var configuration = Configuration()
        configuration.journalMode = .wal
        database = try DatabaseQueue(path: path, configuration: configuration)
        // WAL with NORMAL may lose the last commits on power loss; a vote log must not.
        try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        // Cut the WAL back after checkpoints, as the ledger does (64 MiB).
        try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_size_limit = \(64 << 20)") }
        try database.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS record (id INTEGER PRIMARY KEY AUTOINCREMENT, body BLOB NOT NULL)")
        }
        self.compactAfterRecords = compactAfterRecords
    }

    /// Appends `records` durably, in order.
    public func append(_ records: [PersistedRecord]) throws {
        guard !records.isEmpty else { return }
        try database.write { db in
            for record in records {
                try db.execute(sql: "INSERT INTO record (body) VALUES (?)", arguments: [Data(record.wireBytes)])
            }
        }
    }

    /// Appends `records` durably and, when they hold a stable checkpoint, compacts the log
    /// if it has grown past its threshold: what a replica's shell does with each group's
    /// records.
    public func appendCompacting(_ records: [PersistedRecord]) throws {
        try append(records)
        if records.contains(where: { if case .stableCheckpoint = $0 { return true } else { return false } }) {
            try compactIfLarge()
        }
    }

    /// Every record, oldest first. A record that does not decode stops the node: the log
    /// is its promise not to double-sign, and a guess could break that promise.
    public func load() throws -> [PersistedRecord] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, body FROM record ORDER BY id")
            return try rows.map { row in
                let id: Int64 = row["id"]
                let body: Data = row["body"]
                do {
                    return try PersistedRecord.decode(wireBytes: [UInt8](body))
                } catch {
                    throw ConsensusLogError.corrupt(row: id, reason: "\(error)")
                }
            }
        }
    }

    public func count() throws -> Int {
        try database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM record") ?? 0 }
    }

    /// Replaces the log by its compacted form (PBFT's `PersistedRecord.compact`) when
    /// it has grown past the threshold. One transaction: a crash keeps one of the two.
    public func compactIfLarge() throws {
        guard try count() > compactAfterRecords else { return }
        let compacted = PersistedRecord.compact(try load())
        try database.write { db in
            try db.execute(sql: "DELETE FROM record")
            for record in compacted {
                try db.execute(sql: "INSERT INTO record (body) VALUES (?)", arguments: [Data(record.wireBytes)])
            }
        }
    }
}
