import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoEWire

/// State transfer (Castro and Liskov, 5.3) over durable archives: a node serves the
/// state of a checkpoint from its archive on disk, so even a cluster restarted all at
/// once can serve it; and a node whose own archive holds the checkpoint it must fetch
/// resumes from it without asking anyone.
extension NodeCore {
    /// Serves the archived state at `sequence`, if this node holds it. The receiver checks
    /// it against the checkpoint digest a quorum signed, so serving is never trusted.
    func serveState(_ sequence: UInt64, to peer: PublicKey) {
        // The size first: an archive over the bound is not read into memory at all.
        guard let size = environment.checkpoints.byteCount(sequence: sequence) else { return }
        guard size <= PeerMessage.snapshotBytesMax else {
            environment.observe(.log(.warning, "state archive over the transfer bound", ["bytes": "\(size)"]))
            return
        }
        guard let archive = environment.checkpoints.read(sequence: sequence), archive.count <= PeerMessage.snapshotBytesMax else {
            return
        }
        outbox.append((.stateResponse(sequence: sequence, archive: archive), peer))
    }

    /// Installs a fetched state after checking it against the digest the replica wants
    /// (the stable checkpoint's, certified by a quorum): a lying peer changes nothing.
    func receiveState(_ sequence: UInt64, archive bytes: [UInt8]) throws(NodeHalt) {
        guard let target = replica.stateTransfer, target.sequence == sequence else { return }
        guard let archive = try? StateArchive.decode(wireBytes: bytes), archive.sequence == sequence,
            let root = archive.root(ifCertifiedBy: target.digest)
        else {
            counters.invalidPeerMessages += 1
            environment.observe(.log(.warning, "a peer's state does not match the certified checkpoint", ["sequence": "\(sequence)"]))
            return
        }
        guard install(archive, root: root) else { return }
        do { try environment.checkpoints.write(bytes, sequence: sequence) } catch {
            counters.checkpointWriteFailures += 1
        }
        counters.stateTransfers += 1
        environment.observe(.stateInstalled(sequence: sequence, fromOwnArchive: false))
        environment.observe(.log(.info, "state transferred", ["sequence": "\(sequence)"]))
        try stepDuties(.stateInstalled(ledgerFacts(), clientTable: archive.clientTable))
        try step(.stateTransferred(archive.stateSnapshot(root: root)))
    }

    /// The state at the checkpoint the replica must fetch, from this node's own archive:
    /// after a restart, the stable checkpoint is one this node executed (or installed)
    /// and archived before it could vote for it, unless the archive could not be written.
    func resumeFromOwnArchive(_ target: (sequence: UInt64, digest: Digest)) throws(NodeHalt) -> StateSnapshot? {
        guard let archive = ownArchive(target.sequence), let root = archive.root(ifCertifiedBy: target.digest),
            install(archive, root: root)
        else { return nil }
        counters.localResumes += 1
        environment.observe(.stateInstalled(sequence: target.sequence, fromOwnArchive: true))
        environment.observe(.log(.info, "resumed from this node's own checkpoint", ["sequence": "\(target.sequence)"]))
        // The duties see the ledger as it is (it may be past the checkpoint; re-executed
        // heights are then no-ops), before the replica re-executes.
        try stepDuties(.stateInstalled(ledgerFacts(), clientTable: archive.clientTable))
        return archive.stateSnapshot(root: root)
    }

    func ownArchive(_ sequence: UInt64) -> StateArchive? {
        guard let bytes = environment.checkpoints.read(sequence: sequence),
            let archive = try? StateArchive.decode(wireBytes: bytes), archive.sequence == sequence
        else { return nil }
        return archive
    }

    /// Installs the archive's ledger state unless the ledger already holds that height or
    /// a later one (of the same chain: the checkpoint digest was certified).
    func install(_ archive: StateArchive, root: Digest) -> Bool {
        do {
            try ledger.install(archive.ledger, expectedRoot: root)
        } catch {
            environment.observe(.log(.error, "installing a checkpoint's state failed", ["error": "\(error)"]))
            return false
        }
        height = max(height, archive.sequence)
        ledgerMoved = true
        if archive.sequence >= checkpointRootHeight {
            checkpointRoot = root
            checkpointRootHeight = archive.sequence
        }
        return true
    }
}

extension StateArchive {
    /// The ledger's state root, if this is the state a quorum certified with `digest`.
    func root(ifCertifiedBy digest: Digest) -> Digest? {
        let root = ledger.stateRoot
        return clientTable.checkpointDigest(appDigest: root) == digest ? root : nil
    }

    func stateSnapshot(root: Digest) -> StateSnapshot {
        StateSnapshot(sequence: sequence, appDigest: root, clientTable: clientTable)
    }
}
