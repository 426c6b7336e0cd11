import PoECrypto

/// Checkpoints, watermarks, garbage collection and state transfer (§4.3, §5.3).
extension Replica {
    /// Most checkpoint votes kept per sender: every checkpoint in the window, plus one.
    var checkpointVotesPerSenderMax: Int { Int(config.windowSize / config.checkpointInterval) + 1 }

    mutating func onCheckpointDigest(sequence: UInt64, appDigest: Digest) {
        guard sequence > stable.sequence, sequence <= lastExecuted, let table = snapshots[sequence] else { return }
        let payload = Checkpoint(sequence: sequence, stateDigest: table.checkpointDigest(appDigest: appDigest))
        guard let signed = signAndSend(payload, wrap: Message.checkpoint) else { return }
        lastOwnCheckpoint = signed
        recordCheckpointVote(signed)
    }

    /// Keeps at most a few checkpoint votes per sender (dropping its lowest), whatever
    /// it sends, so a Byzantine replica cannot grow our memory. A vote counts toward a
    /// quorum before the bound applies: otherwise a sender whose far-future votes fill
    /// its share could never have its vote in a forwarded stable proof counted (seed 607).
    mutating func recordCheckpointVote(_ m: Signed<Checkpoint>) {
        let sequence = m.payload.sequence
        guard sequence > stable.sequence else {
            counters.outOfWindow += 1
            noteSenderBehind(m.sender, sequence: sequence)
            return
        }
        guard checkpointVotes[m.sender]?[sequence] == nil else { counters.duplicates += 1; return }
        checkpointVotes[m.sender, default: [:]][sequence] = m
        checkStable(sequence)
        if var votes = checkpointVotes[m.sender], votes.count > checkpointVotesPerSenderMax, let lowest = votes.keys.min() {
            votes[lowest] = nil
            checkpointVotes[m.sender] = votes
        }
    }

    /// A checkpoint is stable with a quorum of matching signed checkpoint messages.
    mutating func checkStable(_ sequence: UInt64) {
        var byDigest: [Digest: [Signed<Checkpoint>]] = [:]
        for votes in checkpointVotes.values {
            if let vote = votes[sequence] { byDigest[vote.payload.stateDigest, default: []].append(vote) }
        }
        for (digest, votes) in byDigest.sorted(by: { $0.key < $1.key }) where votes.count >= quorum {
            let proof = Array(votes.sorted { $0.sender < $1.sender }.prefix(quorum))
            adoptStable(sequence: sequence, digest: digest, proof: proof)
            return
        }
    }

    /// Moves the low watermark, collects garbage, and asks for the state if this replica
    /// has not executed up to the checkpoint (or executed to a different state).
    mutating func adoptStable(sequence: UInt64, digest: Digest, proof: [Signed<Checkpoint>]) {
        guard sequence > stable.sequence else { return }
        stable = StableCheckpoint(sequence: sequence, digest: digest, proof: proof)
        actions.append(.persist(.stableCheckpoint(sequence: sequence, digest: digest, proof: proof)))
        let ownTable = snapshots[sequence]
        let ownDigest = signedVotes[VoteKey(phase: .checkpoint, view: 0, sequence: sequence)]
        collectGarbage()
        if lastExecuted >= sequence, let ownTable, ownDigest == nil || ownDigest == digest {
            stableClientTable = ownTable
        } else {
            if lastExecuted >= sequence { counters.divergentCheckpoints += 1 }
            stableClientTable = nil
            stateTransfer = (sequence, digest)
            askForState()
        }
        if isPrimary { nextSequence = max(nextSequence, sequence) }
    }

    /// Discards everything at or below the stable checkpoint (§4.3).
    mutating func collectGarbage() {
        let low = stable.sequence
        slots = slots.filter { $0.key > low }
        keysInLog = nil
        snapshots = snapshots.filter { $0.key > low }
        foreignCommits = foreignCommits.filter { $0.key > low }
        for (sender, votes) in checkpointVotes {
            let kept = votes.filter { $0.key > low }
            checkpointVotes[sender] = kept.isEmpty ? nil : kept
        }
        signedVotes = signedVotes.filter { key, _ in
            switch key.phase {
            case .prePrepare, .prepare, .commit, .checkpoint: return key.sequence > low
            case .viewChange, .newView, .status: return true
            }
        }
    }

    mutating func askForState() {
        guard let target = stateTransfer else { return }
        stateTransferAskedTick = nowTicks
        actions.append(.fetchState(sequence: target.sequence, digest: target.digest))
    }

    /// §5.3: the fetched state must match the certified checkpoint digest.
    mutating func onStateTransferred(_ snapshot: StateSnapshot) {
        guard let target = stateTransfer, snapshot.sequence == target.sequence,
              snapshot.clientTable.capacity == config.clientTableMax,
              snapshot.clientTable.checkpointDigest(appDigest: snapshot.appDigest) == target.digest else {
            counters.rejectedStateTransfers += 1
            return
        }
        stateTransfer = nil
        stateTransferAskedTick = nil
        lastExecuted = snapshot.sequence
        lastProgressTick = nowTicks
        keysInLog = nil
        clientTable = snapshot.clientTable
        stableClientTable = snapshot.clientTable
        snapshots = [:]
        executeReady()
        // What still waits is timed from now: until this moment it waited on the transfer.
        for index in pending.indices { pending[index].arrivalTick = nowTicks }
    }
}
