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
    /// Serves chunks of the archived state at `sequence` from `offset`, if this node holds
    /// it: the first chunk alone for a request of the start (asked of every peer, and only
    /// the first to answer becomes the source), else a window. The receiver checks the
    /// whole against the checkpoint digest a quorum signed, so serving is never trusted.
    func serveState(_ sequence: UInt64, offset: UInt64, to peer: PublicKey) {
        guard let archive = environment.checkpoints.read(sequence: sequence), offset < archive.count else { return }
        guard archive.count <= PeerMessage.stateArchiveBytesMax else {
            environment.observe(.log(.warning, "state archive over the transfer bound", ["bytes": "\(archive.count)"]))
            return
        }
        let size = settings.stateChunkBytes
        var start = Int(offset) - Int(offset) % size
        for _ in 0..<(offset == 0 ? 1 : NodeCore.stateChunksPerRequest) where start < archive.count {
            let chunk = Array(archive[start..<min(archive.count, start + size)])
            outbox.append((.stateResponse(sequence: sequence, offset: UInt64(start), total: UInt64(archive.count), chunk: chunk), peer))
            start += size
        }
    }

    /// The replica still wants the state at `sequence` (it asks once per retry period).
    /// A download whose source sent nothing for a period is asked again from its first
    /// missing chunk; after three such periods the source is given up, and not taken
    /// again for this checkpoint (a peer that answers the start first and then nothing
    /// would otherwise hold the transfer for ever) unless every peer was; with no
    /// download, the start is asked of every peer and the first to answer becomes the
    /// source.
    func requestState(_ sequence: UInt64) {
        if var download = stateDownload, download.sequence == sequence {
            download.quietPeriods += 1
            if download.quietPeriods < 3 {
                if download.quietPeriods > 1 { askNextWindow(&download) }
                stateDownload = download
                return
            }
            refuseStateSource(download.source, sequence: sequence)
        }
        stateDownload = nil
        environment.observe(.log(.info, "behind the stable checkpoint; fetching state", ["sequence": "\(sequence)"]))
        outbox.append((.stateRequest(sequence: sequence, offset: 0), nil))
    }

    /// A chunk of the archive the replica wants: kept, the next window asked for once this
    /// one is in, and the whole installed once complete.
    func receiveStateChunk(
        _ sequence: UInt64, offset: UInt64, total: UInt64, chunk: [UInt8], from peer: PublicKey
    ) throws(NodeHalt) {
        guard let target = replica.stateTransfer, target.sequence == sequence else { return }
        if stateSourcesRefused.sequence != sequence { stateSourcesRefused = (sequence, []) }
        if stateDownload?.sequence != sequence { stateDownload = nil }
        if stateDownload == nil {
            guard offset == 0, !stateSourcesRefused.peers.contains(peer) else { return }
            stateDownload = StateDownload(
                sequence: sequence, source: peer, total: Int(total), chunkSize: chunk.count)
        }
        guard var download = stateDownload, download.add(chunk, offset: offset, total: total, from: peer) else { return }
        guard download.isComplete else {
            if download.firstMissing >= download.requestedUpTo { askNextWindow(&download) }
            stateDownload = download
            return
        }
        stateDownload = nil
        if try !receiveState(sequence, archive: download.assembled()) { refuseStateSource(peer, sequence: sequence) }
    }

    /// A source not to take again for this checkpoint's state, until every peer was one.
    func refuseStateSource(_ peer: PublicKey, sequence: UInt64) {
        if stateSourcesRefused.sequence != sequence { stateSourcesRefused = (sequence, []) }
        stateSourcesRefused.peers.insert(peer)
        if stateSourcesRefused.peers.count >= config.replicas.count - 1 { stateSourcesRefused.peers = [] }
    }

    /// Asks the download's source for the window of chunks from the first one missing.
    func askNextWindow(_ download: inout StateDownload) {
        download.requestedUpTo = download.firstMissing + download.chunkSize * NodeCore.stateChunksPerRequest
        outbox.append((.stateRequest(sequence: download.sequence, offset: UInt64(download.firstMissing)), download.source))
    }

    /// Installs a fetched state after checking it against the digest the replica wants
    /// (the stable checkpoint's, certified by a quorum): a lying peer changes nothing.
    /// False when the archive is not the certified state.
    func receiveState(_ sequence: UInt64, archive bytes: [UInt8]) throws(NodeHalt) -> Bool {
        guard let target = replica.stateTransfer, target.sequence == sequence else { return true }
        guard let archive = try? StateArchive.decode(wireBytes: bytes), archive.sequence == sequence,
            let root = archive.root(ifCertifiedBy: target.digest)
        else {
            counters.invalidPeerMessages += 1
            environment.observe(.log(.warning, "a peer's state does not match the certified checkpoint", ["sequence": "\(sequence)"]))
            return false
        }
        guard install(archive, root: root) else { return true }
        do { try environment.checkpoints.write(bytes, sequence: sequence) } catch {
            counters.checkpointWriteFailures += 1
        }
        counters.stateTransfers += 1
        environment.observe(.stateInstalled(sequence: sequence, fromOwnArchive: false))
        environment.observe(.log(.info, "state transferred", ["sequence": "\(sequence)"]))
        try stepDuties(.stateInstalled(ledgerFacts(), clientTable: archive.clientTable))
        try step(.stateTransferred(archive.stateSnapshot(root: root)))
        return true
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
