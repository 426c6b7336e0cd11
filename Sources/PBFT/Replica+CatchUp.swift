public import PoECrypto

/// Catching up without voting: how a replica that is not in the view that commits (alone
/// in a higher view, or still in a lower one) or that fell behind a stable checkpoint
/// reaches the others on an idle chain, where no new request will ever time out to pull
/// everyone into one view again. Found by the whole-node simulator's convergence check.
extension Replica {
    /// The commits a replica saw for a sequence in views it is not in: per sender, the
    /// highest view it committed in, and the batches of those (view, digest) pairs.
    struct ForeignCommits: Sendable {
        var latest: [ReplicaID: (view: UInt64, digest: Digest)] = [:]
        /// Batches some sender's latest commit names.
        var batches: [Digest: Signed<PrePrepare>] = [:]
        /// The last batch seen that no commit names yet (pre-prepares usually arrive
        /// before the commits): one, so a faulty primary of some view evicts only it.
        var unnamed: Signed<PrePrepare>?
    }

    /// A commit of another view for a sequence this replica has not decided. Each sender
    /// counts once per sequence (its highest view), so a faulty one fills nothing.
    mutating func noteForeignCommit(_ m: Signed<Commit>) {
        let sequence = m.payload.sequence
        guard acceptsForeign(sequence) else { return }
        if let held = foreignCommits[sequence]?.latest[m.sender], held.view >= m.payload.view { return }
        foreignCommits[sequence, default: ForeignCommits()].latest[m.sender] = (m.payload.view, m.payload.digest)
        if let unnamed = foreignCommits[sequence]?.unnamed, unnamed.payload.view == m.payload.view,
            unnamed.payload.batch.digest == m.payload.digest
        {
            foreignCommits[sequence]?.batches[m.payload.digest] = unnamed
            foreignCommits[sequence]?.unnamed = nil
        }
        checkForeignCertificate(sequence)
    }

    /// A pre-prepare of another view: kept if some sender committed its batch there, else
    /// as the one unnamed batch.
    mutating func noteForeignPrePrepare(_ m: Signed<PrePrepare>) {
        let sequence = m.payload.sequence
        guard acceptsForeign(sequence) else { return }
        let digest = m.payload.batch.digest
        let entry = foreignCommits[sequence, default: ForeignCommits()]
        if entry.latest.values.contains(where: { $0.view == m.payload.view && $0.digest == digest }) {
            foreignCommits[sequence, default: ForeignCommits()].batches[digest] = m
            checkForeignCertificate(sequence)
        } else {
            foreignCommits[sequence, default: ForeignCommits()].unnamed = m
        }
    }

    /// Leaving a view, a replica keeps its own commits of batches not yet decided there:
    /// they count toward the quorum that lets it execute them from the others' commits
    /// (it cannot receive its own commit back, and it may have been the vote that made it).
    mutating func keepOwnCommitsAsForeign() {
        for (sequence, slot) in slots where slot.decided == nil {
            guard let commit = slot.commits[id], let prePrepare = slot.prePrepare,
                prePrepare.payload.batch.digest == commit.payload.digest, acceptsForeign(sequence)
            else { continue }
            if let held = foreignCommits[sequence]?.latest[id], held.view >= commit.payload.view { continue }
            foreignCommits[sequence, default: ForeignCommits()].latest[id] = (commit.payload.view, commit.payload.digest)
            foreignCommits[sequence]?.batches[commit.payload.digest] = prePrepare
        }
    }

    private func acceptsForeign(_ sequence: UInt64) -> Bool {
        inWindow(sequence) && sequence > lastExecuted && slots[sequence]?.decided == nil
    }

    /// A quorum of commits for one (view, digest) proves the batch committed: each honest
    /// committer had prepared it, so every later view carries it (§4.4). Executing it
    /// needs no vote of this replica.
    private mutating func checkForeignCertificate(_ sequence: UInt64) {
        guard let entry = foreignCommits[sequence] else { return }
        for (digest, prePrepare) in entry.batches.sorted(by: { $0.key < $1.key }) {
            let view = prePrepare.payload.view
            let count = entry.latest.values.filter { $0.view == view && $0.digest == digest }.count
            guard count >= quorum else { continue }
            foreignCommits[sequence] = nil
            slots[sequence, default: Slot()].decided = prePrepare.payload.batch
            counters.foreignCertificates += 1
            executeReady()
            return
        }
        // Batches no sender's latest commit names any more are dropped.
        let named = Set(entry.latest.values.map(\.digest))
        foreignCommits[sequence]?.batches = entry.batches.filter { named.contains($0.key) }
    }

    /// A message about a sequence at or below the stable checkpoint says its sender is
    /// behind it: send it the checkpoint's proof (the quorum's own signed messages), at
    /// most once per retransmission period. Only the replicas that executed the checkpoint
    /// re-send their own vote, and after state transfers those may be fewer than a quorum.
    mutating func noteSenderBehind(_ sender: ReplicaID, sequence: UInt64) {
        guard stable.sequence > 0, sequence <= stable.sequence, sender != id, !stable.proof.isEmpty else { return }
        if let last = stableProofSentTick[sender], nowTicks - last < config.retransmitTicks { return }
        stableProofSentTick[sender] = nowTicks
        for checkpoint in stable.proof where checkpoint.sender != sender {
            actions.append(.send(.checkpoint(checkpoint), to: sender))
        }
    }

    /// A peer's STATUS says what it lacks: the certificates of batches this replica decided
    /// above what it executed, the pre-prepares of batches it prepared in this view that
    /// the peer may never have had, the stable checkpoint's proof if it is below it, and
    /// the NEW-VIEW of this view if it is in an older one. Whatever view it is in, it
    /// executes a batch only on a quorum of commits (`checkCommitted`, `noteForeignCommit`).
    /// Certificates go only to a peer that executed nothing for a whole period: under load
    /// every peer is a few batches behind at any moment, and the normal case serves it.
    mutating func onStatus(_ m: Signed<StatusReport>) {
        let stalled = statusExecuted[m.sender] == m.payload.executed
        statusExecuted[m.sender] = m.payload.executed
        if stalled, m.payload.executed < lastExecuted || m.payload.view == view {
            sendBatchesItLacks(to: m.sender, above: m.payload.executed, peerView: m.payload.view)
        }
        if m.payload.executed < stable.sequence { noteSenderBehind(m.sender, sequence: m.payload.executed) }
        if m.payload.view < view { resendNewView(to: m.sender, asking: m.payload.view) }
    }

    /// A replica alone in a higher view (its VIEW-CHANGE says so) or behind (its STATUS)
    /// may have missed batches this view committed, and on an idle chain only the primary
    /// re-sends their pre-prepares: a faulty primary would leave it behind for good. Send
    /// it, for each batch decided in this view above `sequence`, the certificate this
    /// replica holds (the commits, then the primary's pre-prepare), at most once per
    /// retransmission period. A peer in this view also gets the pre-prepare of each batch
    /// prepared here and not yet decided: its commit may be the one the quorum lacks
    /// (after every replica restarted, the commits of a primary that left are gone).
    mutating func sendBatchesItLacks(to sender: ReplicaID, above sequence: UInt64, peerView: UInt64? = nil) {
        guard status == .normal, sender != id else { return }
        if let last = batchesItLacksSentTick[sender], nowTicks - last < config.retransmitTicks { return }
        batchesItLacksSentTick[sender] = nowTicks
        for (slotSequence, slot) in slots.sorted(by: { $0.key < $1.key }) where slotSequence > sequence {
            guard let prePrepare = slot.prePrepare else { continue }
            if slot.decided == nil {
                if slot.prepared, peerView == view, prePrepare.sender != sender {
                    actions.append(.send(.prePrepare(prePrepare), to: sender))
                }
                continue
            }
            for commit in slot.commits.values.sorted(by: { $0.sender < $1.sender }) where commit.sender != sender {
                actions.append(.send(.commit(commit), to: sender))
            }
            actions.append(.send(.prePrepare(prePrepare), to: sender))
        }
    }

    func foreignCommitsWithinBounds() -> Bool {
        foreignCommits.count <= Int(config.windowSize)
            && foreignCommits.values.allSatisfy { $0.latest.count <= config.replicaCount && $0.batches.count <= config.replicaCount }
    }
}
