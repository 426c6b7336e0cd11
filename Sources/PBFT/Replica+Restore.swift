public import PoECrypto

/// Rebuilding a replica from its persisted records alone (crash recovery).
extension Replica {
    /// The restored replica knows its view, its stable checkpoint, its prepared
    /// certificates and everything it signed, so it never signs a different vote for
    /// a (view, sequence, phase) it already voted on. Its application state is not in the
    /// records: it fetches the stable checkpoint by state transfer and re-executes.
    public init(restoring records: [PersistedRecord], config: Config, id: ReplicaID, key: PrivateKey) {
        self.init(config: config, id: id, key: key)
        var certificates: [PreparedCertificate] = []
        var own: [Message] = []
        for record in records {
            switch record {
            case .view(let restoredView, let changing):
                if restoredView >= view {
                    view = restoredView
                    status = changing ? .changingView : .normal
                }
            case .stableCheckpoint(let sequence, let digest, let proof):
                if sequence > stable.sequence { stable = StableCheckpoint(sequence: sequence, digest: digest, proof: proof) }
            case .prepared(let certificate): certificates.append(certificate)
            case .signed(let message):
                restoreSigned(message)
                own.append(message)
            }
        }
        // The stable proof may hold this replica's own checkpoint when its record did not
        // survive (an older log); re-sending it is how peers behind learn of the checkpoint.
        if let own = stable.proof.first(where: { $0.sender == id }),
            lastOwnCheckpoint.map({ $0.payload.sequence < own.payload.sequence }) ?? true
        {
            lastOwnCheckpoint = own
        }
        stableClientTable = stable.sequence == 0 ? clientTable : nil
        if stable.sequence > 0 { stateTransfer = (stable.sequence, stable.digest) }
        forgetOlderViews()
        collectGarbage()
        for certificate in certificates where inWindow(certificate.sequence) {
            if let current = slots[certificate.sequence]?.certificate, current.view >= certificate.view { continue }
            slots[certificate.sequence, default: Slot()].certificate = certificate
        }
        restoreOwnVotes(own)
        // Its own checkpoint votes above the stable one count toward their quorum again:
        // peers never send a replica its own vote back, so without them a replica that
        // signed the next checkpoint before it crashed could never see it become stable.
        for case .checkpoint(let m) in own where m.payload.sequence > stable.sequence {
            checkpointVotes[id, default: [:]][m.payload.sequence] = m
        }
        if status == .changingView, let newView = lastNewView, newView.payload.view == view {
            installNewView(newView, plan: NewViewPlan(viewChanges: newView.payload.viewChanges.map(\.payload), config: config))
        }
        requestTimersStartTick = config.viewChangeTimeoutTicks
        actions = []
    }

    mutating func restoreSigned(_ message: Message) {
        signedVotes[Replica.voteKey(message)] = message.votedDigest
        switch message {
        case .viewChange(let m):
            if myViewChange.map({ $0.payload.newView < m.payload.newView }) ?? true { myViewChange = m }
        case .newView(let m):
            for prePrepare in m.payload.prePrepares { signedVotes[Replica.voteKey(.prePrepare(prePrepare))] = prePrepare.payload.batch.digest }
            if lastNewView.map({ $0.payload.view < m.payload.view }) ?? true { lastNewView = m }
        case .checkpoint(let m):
            if lastOwnCheckpoint.map({ $0.payload.sequence < m.payload.sequence }) ?? true { lastOwnCheckpoint = m }
        case .prePrepare, .prepare, .commit, .status: break
        }
    }

    /// Own votes of the current view go back into the log, so they are retransmitted.
    mutating func restoreOwnVotes(_ own: [Message]) {
        keysInLog = nil
        if let change = myViewChange, change.payload.newView == view { viewChangeVotes[id] = change }
        if let newView = lastNewView, newView.payload.view == view, status == .normal {
            for prePrepare in newView.payload.prePrepares where inWindow(prePrepare.payload.sequence) {
                slots[prePrepare.payload.sequence, default: Slot()].prePrepare = prePrepare
                nextSequence = max(nextSequence, prePrepare.payload.sequence)
            }
        }
        for message in own where message.slot.view == view && inWindow(message.slot.sequence) {
            switch message {
            case .prePrepare(let m):
                slots[m.payload.sequence, default: Slot()].prePrepare = m
                nextSequence = max(nextSequence, m.payload.sequence)
            case .prepare(let m): slots[m.payload.sequence, default: Slot()].prepares[id] = m
            case .commit(let m): slots[m.payload.sequence, default: Slot()].commits[id] = m
            case .checkpoint, .viewChange, .newView, .status: break
            }
        }
        // A certificate of this view is the state the replica was in: prepared. Without it
        // the restored replica could not commit the batch again, and when its primary has
        // left the view nobody re-sends the pre-prepare (simulator seed 9236).
        if status == .normal {
            for (sequence, slot) in slots where slot.decided == nil {
                guard let certificate = slot.certificate, certificate.view == view else { continue }
                slots[sequence]?.prePrepare = certificate.prePrepare
                for prepare in certificate.prepares { slots[sequence]?.prepares[prepare.sender] = prepare }
                slots[sequence]?.prepared = true
            }
        }
        nextSequence = max(nextSequence, stable.sequence)
    }
}
