import PBFT
import PoECrypto

/// The replicated application of the simulator: a hash chain over executed requests,
/// with its own copy of the client table (a deterministic function of what was executed,
/// as a ledger's nonces would be). Its snapshots at checkpoints are durable: they survive
/// a crash, and state transfer copies them.
struct SimApp {
    struct Snapshot {
        let chain: Digest
        let executed: Set<RequestKey>
        let clientTable: ClientTable
    }

    var chain = Digest.zero
    var lastSequence: UInt64 = 0
    /// Requests executed by this application history (for the at-most-once check).
    var executed: Set<RequestKey> = []
    var clientTable: ClientTable
    var snapshots: [UInt64: Snapshot] = [:]
    static let snapshotsMax = 4

    init(clientTableMax: Int) {
        clientTable = ClientTable(capacity: clientTableMax)
    }

    /// Applies one delivered batch; returns the keys executed twice (a validity violation).
    mutating func apply(sequence: UInt64, requests: [ClientRequest]) -> [RequestKey] {
        var repeated: [RequestKey] = []
        var bytes = chain.bytes
        for request in requests {
            if !executed.insert(request.key).inserted { repeated.append(request.key) }
            if clientTable.isFresh(request.key) { clientTable.record(request.key, sequence: sequence) } else { repeated.append(request.key) }
            bytes += request.digest.bytes
        }
        var header = sequence.bigEndian
        bytes += withUnsafeBytes(of: &header) { Array($0) }
        chain = Digest.sha256(bytes)
        lastSequence = sequence
        return repeated
    }

    mutating func snapshot(at sequence: UInt64) {
        snapshots[sequence] = Snapshot(chain: chain, executed: executed, clientTable: clientTable)
        while snapshots.count > SimApp.snapshotsMax, let oldest = snapshots.keys.min() { snapshots[oldest] = nil }
    }

    mutating func install(_ snapshot: Snapshot, at sequence: UInt64) {
        chain = snapshot.chain
        executed = snapshot.executed
        clientTable = snapshot.clientTable
        lastSequence = sequence
        snapshots[sequence] = snapshot
    }

    /// After a restart the replica re-executes from genesis or from a stable checkpoint;
    /// the application rolls back to genesis and keeps its durable snapshots.
    mutating func rollBackToGenesis() {
        chain = .zero
        executed = []
        clientTable = ClientTable(capacity: clientTable.capacity)
        lastSequence = 0
    }
}
