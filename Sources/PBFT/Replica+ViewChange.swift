import PoECrypto

/// View changes (§4.4, §4.5.2 liveness rules).
extension Replica {
    /// Enters `newView` as "changing" and multicasts VIEW-CHANGE with the stable
    /// checkpoint's proof and every prepared certificate above it.
    mutating func startViewChange(to newView: UInt64) {
        precondition(newView > view, "view changes only move forward")
        guard newView < Limits.numberMax else { return }
        view = newView
        status = .changingView
        viewChangesInARow = min(viewChangesInARow + 1, Limits.timeoutDoublingsMax)
        viewChangeTimerTick = nil
        keepOwnCommitsAsForeign()
        for sequence in slots.keys { slots[sequence]?.resetForNewView() }
        keysInLog = nil
        forgetOlderViews()
        actions.append(.persist(.view(newView, changing: true)))
        sendViewChange()
    }

    /// Signs, persists and multicasts VIEW-CHANGE for the current view. Also used when a
    /// replica restarted after persisting the view but before persisting its view change.
    mutating func sendViewChange() {
        precondition(status == .changingView, "a view change is only sent while changing view")
        let certificates = slots.values.compactMap(\.certificate)
            .filter { inWindow($0.sequence) && $0.view < view }
            .sorted { $0.sequence < $1.sequence }
        let payload = ViewChange(newView: view, stableSequence: stable.sequence, stableDigest: stable.digest,
                                 checkpointProof: stable.proof, prepared: certificates)
        if let signed = signAndSend(payload, wrap: Message.viewChange) {
            myViewChange = signed
            viewChangeVotes[id] = signed
        }
        checkViewChangeQuorum()
    }

    /// Votes for older views can never be signed again: drop their guard entries.
    mutating func forgetOlderViews() {
        signedVotes = signedVotes.filter { key, _ in key.phase == .checkpoint || key.view >= view }
        viewChangeVotes = viewChangeVotes.filter { $0.value.payload.newView >= view }
    }

    mutating func onViewChange(_ m: Signed<ViewChange>) {
        let target = m.payload.newView
        if let existing = viewChangeVotes[m.sender], existing.payload.newView >= target {
            counters.duplicates += 1
        } else if target >= view {
            viewChangeVotes[m.sender] = m
        }
        if target <= view {
            resendNewView(to: m.sender, asking: target)
            if target == view { checkViewChangeQuorum() }
            return
        }
        sendBatchesItLacks(to: m.sender, above: m.payload.stableSequence)
        // §4.5.2: f+1 replicas asking for views above ours: join the smallest of them.
        let higher = viewChangeVotes.values.filter { $0.payload.newView > view }
        if higher.count >= config.quorum.weak, let smallest = higher.map(\.payload.newView).min() {
            startViewChange(to: smallest)
        }
    }

    /// A replica stuck in an older view learns the current one: any replica in the view
    /// forwards the primary's signed NEW-VIEW (at most once per retransmission period per
    /// sender), since the primary itself may have moved on or crashed.
    mutating func resendNewView(to sender: ReplicaID, asking target: UInt64) {
        guard status == .normal, let newView = lastNewView, newView.payload.view == view else { return }
        if let last = newViewResentTick[sender], nowTicks - last < config.retransmitTicks { return }
        newViewResentTick[sender] = nowTicks
        actions.append(.send(.newView(newView), to: sender))
    }

    /// With f+1 view changes for our view, start the new-view timer (§4.5.2, see onTick);
    /// with a quorum, the new primary sends NEW-VIEW.
    mutating func checkViewChangeQuorum() {
        guard status == .changingView else { return }
        let votes = viewChangeVotes.values.filter { $0.payload.newView == view }.sorted { $0.sender < $1.sender }
        if votes.count >= config.quorum.weak && viewChangeTimerTick == nil { viewChangeTimerTick = nowTicks }
        guard votes.count >= quorum, isPrimary else { return }
        let plan = NewViewPlan(viewChanges: votes.map(\.payload), config: config)
        var prePrepares: [Signed<PrePrepare>] = []
        for entry in plan.entries {
            let payload = PrePrepare(view: view, sequence: entry.sequence, batch: entry.batch)
            guard let signed = signGuarded(payload, wrap: Message.prePrepare) else { return }
            prePrepares.append(signed)
        }
        let payload = NewView(view: view, viewChanges: votes, prePrepares: prePrepares)
        guard let signed = signAndSend(payload, wrap: Message.newView) else { return }
        installNewView(signed, plan: plan)
    }

    /// A backup checks NEW-VIEW by recomputing O from V; a wrong one moves it to the next view.
    mutating func onNewView(_ m: Signed<NewView>) {
        let target = m.payload.view
        guard target > view || (target == view && status == .changingView) else { counters.wrongView += 1; return }
        let plan = NewViewPlan(viewChanges: m.payload.viewChanges.map(\.payload), config: config)
        guard plan.matches(m.payload.prePrepares) else {
            counters.rejectedNewViews += 1
            startViewChange(to: target + 1)
            return
        }
        installNewView(m, plan: plan)
    }

    mutating func installNewView(_ m: Signed<NewView>, plan: NewViewPlan) {
        view = m.payload.view
        status = .normal
        lastNewView = m
        lastProgressTick = nowTicks
        viewChangeTimerTick = nil
        actions.append(.persist(.view(view, changing: false)))
        forgetOlderViews()
        for sequence in slots.keys { slots[sequence]?.resetForNewView() }
        keysInLog = nil
        if plan.stableSequence > stable.sequence {
            adoptStable(sequence: plan.stableSequence, digest: plan.stableDigest, proof: plan.stableProof)
        }
        if isPrimary { nextSequence = max(plan.maxSequence, stable.sequence) }
        for prePrepare in m.payload.prePrepares where inWindow(prePrepare.payload.sequence) {
            let sequence = prePrepare.payload.sequence
            slots[sequence, default: Slot()].prePrepare = prePrepare
            guard !isPrimary else { continue }
            let prepare = Prepare(view: view, sequence: sequence, digest: prePrepare.payload.batch.digest)
            if let signed = signAndSend(prepare, wrap: Message.prepare) { slots[sequence]?.prepares[id] = signed }
        }
        // The new primary gets a full timeout for the requests still waiting.
        for index in pending.indices { pending[index].arrivalTick = nowTicks }
        for sequence in slots.keys.sorted() { checkPrepared(sequence) }
    }
}
