/// Timers, counted in ticks (§4.5.2), and retransmission over lossy links.
extension Replica {
    mutating func onTick() {
        nowTicks += 1
        let timeout = config.viewChangeTimeout(doublings: viewChangesInARow)
        switch status {
        case .normal:
            // A request waiting longer than the timeout means a faulty primary (stalled or
            // censoring): each request is timed from its arrival, not reset by others' progress.
            // Not while fetching a stable checkpoint's state: the wait is then this
            // replica's own, and a view change started alone would leave it outside the
            // view the others keep (they do not follow one replica), voting in nothing.
            // (A wider "f+1 say I am behind" rule was tried and lost liveness in the
            // simulator: a lagging replica that cannot catch up in the current view must
            // still be able to vote it out.)
            // Nor once the configuration has ordered all it may: what still waits waits
            // for the next configuration, and no view change of this one can order it.
            if stateTransfer == nil, !hasExecutedItsLastSequence, nowTicks >= requestTimersStartTick,
                requestWaitedTooLong(timeout: timeout) || idleChainWaitedTooLong(timeout: timeout)
            {
                startViewChange(to: view + 1)
            }
        case .changingView:
            // §4.5.2 starts this timer at 2f+1 view changes for the view. We start it at f+1
            // (one honest replica besides us): a replica that restarted lost the view changes
            // it had collected, and waiting for a quorum deadlocked the simulator; a lone
            // replica still never races ahead, and f+1 higher view changes pull laggards in.
            if let started = viewChangeTimerTick, nowTicks - started >= timeout {
                startViewChange(to: view + 1)
            }
        }
        if nowTicks % config.retransmitTicks == 0 { retransmit() }
        if stateTransfer != nil, nowTicks - (stateTransferAskedTick ?? 0) >= 2 * config.retransmitTicks || stateTransferAskedTick == nil {
            askForState()
        }
    }

    func requestWaitedTooLong(timeout: UInt64) -> Bool {
        guard let oldest = pending.map(\.arrivalTick).min() else { return false }
        return nowTicks - max(oldest, requestTimersStartTick) >= timeout
    }

    /// A primary that proposes nothing while the application waits on later heights (a
    /// job's deadline counts heights) stalls it as surely as one that sits on a request,
    /// yet no request times it. A backup that sees nothing executed for the empty-batch
    /// interval plus the timeout suspects it as well. Found by the long run (seed 82,089):
    /// a primary isolated alone in a higher view, backups with nothing pending, a job one
    /// attestation short of settling and no height to reach its deadline.
    func idleChainWaitedTooLong(timeout: UInt64) -> Bool {
        guard progressWanted, !isPrimary, let interval = config.emptyBatchTicks else { return false }
        return nowTicks - max(lastProgressTick, requestTimersStartTick) >= interval + timeout
    }

    /// Re-sends this replica's own signed messages (already persisted): what a lossy
    /// network needs, and what lets a lagging replica complete its certificates.
    mutating func retransmit() {
        switch status {
        case .changingView:
            if let change = myViewChange, change.payload.newView == view {
                actions.append(.broadcast(.viewChange(change)))
            } else {
                sendViewChange()
            }
        case .normal:
            for sequence in slots.keys.sorted() {
                guard let slot = slots[sequence] else { continue }
                if isPrimary, let prePrepare = slot.prePrepare { actions.append(.broadcast(.prePrepare(prePrepare))) }
                if let prepare = slot.prepares[id] { actions.append(.broadcast(.prepare(prepare))) }
                if let commit = slot.commits[id] { actions.append(.broadcast(.commit(commit))) }
                // A replica whose commit for a decided batch never came may lack the
                // pre-prepare, and a primary that left the view re-sends none: send it.
                if !isPrimary, slot.decided != nil, let prePrepare = slot.prePrepare {
                    for peer in 0..<ReplicaID(config.replicaCount)
                    where peer != id && peer != prePrepare.sender && slot.commits[peer] == nil {
                        actions.append(.send(.prePrepare(prePrepare), to: peer))
                    }
                }
            }
        }
        if let checkpoint = lastOwnCheckpoint { actions.append(.broadcast(.checkpoint(checkpoint))) }
        // Not persisted: it commits this replica to nothing (see `StatusReport`).
        actions.append(.broadcast(.status(Signed(signing: StatusReport(view: view, executed: lastExecuted), as: id, key: key, config: config))))
    }
}

/// How much the replica holds; every count has a bound that peers cannot raise.
public struct Footprint: Sendable, Equatable {
    public var slots = 0
    public var votes = 0
    public var checkpointVotes = 0
    public var pending = 0
    public var viewChanges = 0
    public var signedVotes = 0
    public var snapshots = 0
    public var clients = 0
}

extension Replica {
    public var footprint: Footprint {
        var result = Footprint()
        result.slots = slots.count
        result.votes = slots.values.reduce(0) { $0 + $1.prepares.count + $1.commits.count }
        result.checkpointVotes = checkpointVotes.values.reduce(0) { $0 + $1.count }
        result.pending = pending.count
        result.viewChanges = viewChangeVotes.count
        result.signedVotes = signedVotes.count
        result.snapshots = snapshots.count
        result.clients = clientTable.entries.count
        return result
    }

    /// The bounds, from the configuration alone.
    public var footprintMax: Footprint {
        let window = Int(config.windowSize)
        let checkpoints = Int(config.windowSize / config.checkpointInterval) + 1
        var result = Footprint()
        result.slots = window
        result.votes = window * 2 * config.replicaCount
        result.checkpointVotes = config.replicaCount * checkpointVotesPerSenderMax
        result.pending = config.pendingRequestsMax
        result.viewChanges = config.replicaCount
        result.signedVotes = 3 * window + checkpoints + 2 * 2
        result.snapshots = checkpoints
        result.clients = config.clientTableMax
        return result
    }

    public var footprintWithinBounds: Bool {
        let now = footprint
        let max = footprintMax
        return now.slots <= max.slots && now.votes <= max.votes && now.checkpointVotes <= max.checkpointVotes
            && now.pending <= max.pending && now.viewChanges <= max.viewChanges
            && now.signedVotes <= max.signedVotes && now.snapshots <= max.snapshots && now.clients <= max.clients
    }
}
