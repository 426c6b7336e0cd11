import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoENodeCore

/// What a simulated node keeps across a crash: its consensus log, its ledger (each batch
/// is one SQLite transaction, so the in-memory database holds exactly what a real one
/// would have made durable), its blobs and its checkpoint archives.
final class SimDisk {
    var records: [PersistedRecord] = []
    let ledger: Ledger
    let blobs = SimBlobs()
    let checkpoints = SimCheckpoints()

    init(ledger: Ledger) { self.ledger = ledger }
}

/// A blob store in memory. Only the simulation's thread touches it.
final class SimBlobs: BlobHolding, @unchecked Sendable {
    var stored: [Digest: [UInt8]] = [:]

    struct Missing: Error {}

    func contains(_ digest: Digest) -> Bool { stored[digest] != nil }

    func read(_ digest: Digest) throws -> [UInt8] {
        guard let bytes = stored[digest] else { throw Missing() }
        return bytes
    }

    func store(_ bytes: [UInt8]) throws -> Digest {
        let digest = Digest.sha256(bytes)
        stored[digest] = bytes
        return digest
    }
}

/// Checkpoint archives in memory, durable across the node's crashes.
final class SimCheckpoints: CheckpointStore {
    var archives: [UInt64: [UInt8]] = [:]

    func write(sequence: UInt64, _ produce: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        var archive: [UInt8] = []
        try produce { archive.append(contentsOf: $0) }
        archives[sequence] = archive
    }
    func read(sequence: UInt64) -> [UInt8]? { archives[sequence] }
    func byteCount(sequence: UInt64) -> Int? { archives[sequence]?.count }
    func sequences() -> [UInt64] { archives.keys.sorted() }
    func remove(sequence: UInt64) { archives[sequence] = nil }
}

/// The simulated world of one incarnation of one node: every effect goes back to the
/// simulation, which delivers, delays, loses, crashes and checks.
final class SimEnvironment: NodeEnvironment {
    unowned let simulation: Simulation
    let index: Int
    let incarnation: Int
    let disk: SimDisk

    init(simulation: Simulation, index: Int, incarnation: Int, disk: SimDisk) {
        self.simulation = simulation
        self.index = index
        self.incarnation = incarnation
        self.disk = disk
    }

    var blobs: any BlobHolding { disk.blobs }
    var checkpoints: any CheckpointStore { disk.checkpoints }

    func persist(_ records: [PersistedRecord]) throws(NodeHalt) { try simulation.persist(index, records) }
    func send(_ message: PeerMessage, to peer: PublicKey) { simulation.outgoing(index, message, to: peer) }
    func broadcast(_ message: PeerMessage) { simulation.outgoing(index, message, to: nil) }
    func startJob(_ assignment: JobAssignment) -> Bool { simulation.startJob(index, incarnation: incarnation, assignment) }
    func observe(_ event: NodeEvent) { simulation.observed(index, event) }
    func halt(_ reason: String) -> NodeHalt { simulation.halted(index, reason) }
}
