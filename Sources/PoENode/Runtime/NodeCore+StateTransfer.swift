import PBFT
import PoECrypto
import PoELedger
import PoEWire

extension NodeCore {
    /// Serves the state at this node's stable checkpoint, if that is what was asked.
    func serveState(_ sequence: UInt64, to peer: PublicKey) {
        guard sequence == replica.stable.sequence, let table = replica.stableClientTable,
            let snapshot = archives[sequence]
        else { return }
        let archive = StateArchive(sequence: sequence, ledger: snapshot, clientTable: table).wireBytes
        guard archive.count <= PeerMessage.snapshotBytesMax else {
            logger.warning("state archive over the transfer bound", metadata: ["bytes": "\(archive.count)"])
            return
        }
        network.send(PeerMessage.stateResponse(sequence: sequence, archive: archive).wireBytes, to: peer)
    }

    /// Installs a fetched state after checking it against the digest the replica wants
    /// (the stable checkpoint's, certified by a quorum): a lying peer changes nothing.
    func receiveState(_ sequence: UInt64, archive bytes: [UInt8]) {
        guard let target = replica.stateTransfer, target.sequence == sequence else { return }
        guard let archive = try? StateArchive.decode(wireBytes: bytes), archive.sequence == sequence else {
            invalidPeerMessages += 1
            return
        }
        let root = archive.ledger.stateRoot
        guard archive.clientTable.checkpointDigest(appDigest: root) == target.digest else {
            invalidPeerMessages += 1
            logger.warning("state archive does not match the certified checkpoint", metadata: ["sequence": "\(sequence)"])
            return
        }
        do {
            try ledger.install(archive.ledger, expectedRoot: root)
        } catch {
            logger.error("installing fetched state failed", metadata: ["error": "\(error)"])
            return
        }
        archives[sequence] = archive.ledger
        stateTransfers += 1
        ledgerMoved = true
        lastCheckpointRoot = root
        logger.info("state transferred", metadata: ["sequence": "\(sequence)"])
        step(.stateTransferred(StateSnapshot(sequence: sequence, appDigest: root, clientTable: archive.clientTable)))
    }
}
