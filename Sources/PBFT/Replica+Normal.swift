import PoECrypto

/// Normal-case operation: requests, pre-prepare, prepare, commit, execution (§4.2).
extension Replica {
    mutating func onRequest(_ request: ClientRequest) {
        guard clientTable.isFresh(request.key), !pendingKeys.contains(request.key) else {
            counters.duplicates += 1
            return
        }
        guard pending.count < config.pendingRequestsMax else {
            counters.pendingFull += 1
            return
        }
        pending.append(PendingRequest(request: request, arrivalTick: nowTicks))
        pendingKeys.insert(request.key)
        proposalIdle?.arrivals += 1
    }

    /// The primary assigns sequence numbers to batches while the window has room.
    /// Requests stay pending (on the primary too) until executed, so that a proposal that
    /// never commits still times out and replaces the primary.
    ///
    /// Adaptive batching (as in BFT-SMaRt): with nothing in flight a batch is proposed at
    /// once, however small — the latency at rest is then the protocol's own; while earlier
    /// batches are in flight, requests wait and the batch grows until it is full (full
    /// batches use the window's pipeline) or the oldest request has waited
    /// `batchDelayTicks`.
    mutating func tryPropose() {
        guard status == .normal, isPrimary, !pending.isEmpty, nextSequence < highWatermark else { return }
        // `pending` is in arrival order, so its head bounds every candidate's wait:
        // checking it first spares the set building below on most arrivals.
        guard isBatchDue(count: pending.count, oldestArrival: pending[0].arrivalTick) else { return }
        if let idle = proposalIdle, idle.stillIdle(self) { return }
        proposalIdle = nil
        let inLog = requestKeysInLog()
        var candidates = pending.filter { inLog[$0.request.key] == nil }[...]
        var proposed = false
        while nextSequence < highWatermark {
            guard let oldest = candidates.first, isBatchDue(count: candidates.count, oldestArrival: oldest.arrivalTick) else {
                // Only when nothing was proposed: a proposal may commit and execute at once
                // (a quorum's commits already held), which leaves `candidates` stale.
                if !proposed { proposalIdle = ProposalIdle(self, candidates: candidates) }
                return
            }
            let chosen = Replica.batchPrefix(candidates.lazy.map(\.request), countMax: config.batchSizeMax)
            candidates = candidates.dropFirst(chosen.count)
            guard propose(Batch(requests: chosen)) else { return }
            proposed = true
        }
    }

    /// The longest prefix of `requests` within `countMax` requests and
    /// `Limits.batchOperationBytesMax` operation bytes; never empty when `requests` is not
    /// (one operation is far below the byte bound).
    static func batchPrefix(_ requests: some Sequence<ClientRequest>, countMax: Int) -> [ClientRequest] {
        var chosen: [ClientRequest] = []
        var bytes = 0
        for request in requests {
            guard chosen.count < countMax else { break }
            guard chosen.isEmpty || bytes + request.operation.count <= Limits.batchOperationBytesMax else { break }
            bytes += request.operation.count
            chosen.append(request)
        }
        return chosen
    }

    /// Whether `count` waiting requests, the oldest arrived at `oldestArrival`, make a batch now.
    func isBatchDue(count: Int, oldestArrival: UInt64) -> Bool {
        count >= config.batchSizeMax || nextSequence == lastExecuted || nowTicks - oldestArrival >= config.batchDelayTicks
    }

    /// An idle primary whose application wants progress proposes an empty batch, one at
    /// a time (nothing else in flight), every `emptyBatchTicks`. Backups treat it as any
    /// batch; executing it advances the sequence with no request.
    mutating func tryProposeEmpty() {
        guard let interval = config.emptyBatchTicks, progressWanted, status == .normal, isPrimary,
            pending.isEmpty, nextSequence == lastExecuted, nextSequence < highWatermark,
            nowTicks - lastProposalTick >= interval
        else { return }
        propose(Batch(requests: []))
    }

    /// Pre-prepares `batch` at the next sequence number; false if signing was refused.
    @discardableResult
    private mutating func propose(_ batch: Batch) -> Bool {
        let sequence = nextSequence + 1
        guard let signed = signAndSend(PrePrepare(view: view, sequence: sequence, batch: batch), wrap: Message.prePrepare) else {
            return false
        }
        nextSequence = sequence
        lastProposalTick = nowTicks
        followKeysInLog(of: sequence, by: -1)
        slots[sequence, default: Slot()].prePrepare = signed
        followKeysInLog(of: sequence, by: 1)
        checkPrepared(sequence)
        return true
    }

    /// Requests already proposed in this view and not yet executed: not proposed twice.
    mutating func requestKeysInLog() -> [RequestKey: Int] {
        if let keysInLog {
            assert(keysInLog == countKeysInLog(), "the kept request keys differ from the log's")
            return keysInLog
        }
        let counted = countKeysInLog()
        keysInLog = counted
        return counted
    }

    func countKeysInLog() -> [RequestKey: Int] {
        var keys: [RequestKey: Int] = [:]
        for (sequence, slot) in slots where sequence > lastExecuted {
            guard let prePrepare = slot.prePrepare else { continue }
            for request in prePrepare.payload.batch.requests { keys[request.key, default: 0] += 1 }
        }
        return keys
    }

    /// Follows `slots[sequence]`'s pre-prepare into or out of the log (`by` +1 or -1). A
    /// sequence at or below `lastExecuted` is not in it (a new primary may propose there
    /// when it executed further than the view changes it gathered prepared).
    mutating func followKeysInLog(of sequence: UInt64, by change: Int) {
        guard keysInLog != nil, sequence > lastExecuted, let requests = slots[sequence]?.prePrepare?.payload.batch.requests else { return }
        for request in requests {
            let count = keysInLog![request.key, default: 0] + change
            precondition(count >= 0, "a request key left the log more often than it entered")
            keysInLog![request.key] = count == 0 ? nil : count
        }
    }

    /// §4.2: a backup accepts a pre-prepare in its view, inside the watermarks, if it has
    /// not accepted another one for (v, n); then it multicasts a prepare.
    mutating func onPrePrepare(_ m: Signed<PrePrepare>) {
        let sequence = m.payload.sequence
        guard status == .normal, m.payload.view == view else {
            counters.wrongView += 1
            noteForeignPrePrepare(m)
            return
        }
        guard inWindow(sequence) else {
            counters.outOfWindow += 1
            noteSenderBehind(m.sender, sequence: sequence)
            return
        }
        guard m.sender == config.primary(of: view) else { counters.wrongView += 1; return }
        if let existing = slots[sequence]?.prePrepare {
            guard existing.payload.batch.digest != m.payload.batch.digest else { counters.duplicates += 1; return }
            counters.conflictingPrePrepares += 1
            slots[sequence]?.otherPrePrepare = m
            checkCommitted(sequence)
            return
        }
        let prepare = Prepare(view: view, sequence: sequence, digest: m.payload.batch.digest)
        guard let signed = signAndSend(prepare, wrap: Message.prepare) else { return }
        slots[sequence, default: Slot()].prePrepare = m
        slots[sequence]?.prepares[id] = signed
        proposalIdle = nil
        keysInLog = nil
        checkPrepared(sequence)
    }

    mutating func onPrepare(_ m: Signed<Prepare>) {
        let sequence = m.payload.sequence
        guard status == .normal, m.payload.view == view else { counters.wrongView += 1; return }
        guard inWindow(sequence) else {
            counters.outOfWindow += 1
            noteSenderBehind(m.sender, sequence: sequence)
            return
        }
        guard m.sender != config.primary(of: view) else { counters.wrongView += 1; return }
        guard slots[sequence]?.prepares[m.sender] == nil else { counters.duplicates += 1; return }
        slots[sequence, default: Slot()].prepares[m.sender] = m
        checkPrepared(sequence)
    }

    mutating func onCommit(_ m: Signed<Commit>) {
        let sequence = m.payload.sequence
        guard status == .normal, m.payload.view == view else {
            counters.wrongView += 1
            noteForeignCommit(m)
            return
        }
        guard inWindow(sequence) else {
            counters.outOfWindow += 1
            noteSenderBehind(m.sender, sequence: sequence)
            return
        }
        guard slots[sequence]?.commits[m.sender] == nil else { counters.duplicates += 1; return }
        slots[sequence, default: Slot()].commits[m.sender] = m
        checkCommitted(sequence)
    }

    /// prepared(m, v, n): the pre-prepare and quorum-1 matching prepares from distinct
    /// backups. The certificate is persisted before the commit is sent, so that a
    /// restarted replica still reports it in a view change.
    mutating func checkPrepared(_ sequence: UInt64) {
        guard let slot = slots[sequence], let prePrepare = slot.prePrepare, !slot.prepared else { return }
        let digest = prePrepare.payload.batch.digest
        let matching = slot.prepares.values.filter { $0.payload.digest == digest }.sorted { $0.sender < $1.sender }
        guard matching.count >= quorum - 1 else { return }
        let certificate = PreparedCertificate(prePrepare: prePrepare, prepares: Array(matching.prefix(quorum - 1)))
        slots[sequence]?.prepared = true
        slots[sequence]?.certificate = certificate
        actions.append(.persist(.prepared(certificate)))
        let commit = Commit(view: view, sequence: sequence, digest: digest)
        if let signed = signAndSend(commit, wrap: Message.commit) { slots[sequence]?.commits[id] = signed }
        checkCommitted(sequence)
    }

    /// committed-local(m, v, n): a quorum of commits matching a pre-prepare of this view's
    /// primary. The replica need not have prepared it, nor hold it as its own pre-prepare
    /// (an equivocating primary may have sent it another): the quorum holds at least f+1
    /// honest replicas that prepared the batch, so it is committed (§4.4) and no other
    /// batch can be at this sequence. Otherwise the replica an equivocating primary misled
    /// would refuse the quorum's certificate for good on an idle chain (simulator seed 11753).
    mutating func checkCommitted(_ sequence: UInt64) {
        guard let slot = slots[sequence], slot.decided == nil else { return }
        for prePrepare in [slot.prePrepare, slot.otherPrePrepare].compactMap({ $0 }) {
            let digest = prePrepare.payload.batch.digest
            guard slot.commits.values.count(where: { $0.payload.digest == digest }) >= quorum else { continue }
            if digest != slot.prePrepare?.payload.batch.digest {
                // What this replica forwards for the decided batch must be its certificate.
                slots[sequence]?.otherPrePrepare = slot.prePrepare
                slots[sequence]?.prePrepare = prePrepare
                // The requests in the log changed: a primary must look at them again.
                proposalIdle = nil
                keysInLog = nil
            }
            slots[sequence]?.decided = prePrepare.payload.batch
            executeReady()
            return
        }
    }

    /// Executes committed batches in sequence order, skipping requests already executed
    /// (client table): exactly-once.
    mutating func executeReady() {
        while stateTransfer == nil, let batch = slots[lastExecuted + 1]?.decided {
            let sequence = lastExecuted + 1
            var fresh: [ClientRequest] = []
            for request in batch.requests where clientTable.isFresh(request.key) {
                clientTable.record(request.key, sequence: sequence)
                fresh.append(request)
            }
            followKeysInLog(of: sequence, by: -1)
            lastExecuted = sequence
            lastProgressTick = nowTicks
            actions.append(.deliver(sequence: sequence, requests: fresh))
            if !fresh.isEmpty && status == .normal { viewChangesInARow = 0 }
            if sequence % config.checkpointInterval == 0 { snapshots[sequence] = clientTable }
        }
        dropExecutedPending()
    }

    mutating func dropExecutedPending() {
        let before = pending.count
        pending.removeAll { !clientTable.isFresh($0.request.key) }
        guard pending.count != before else { return }
        pendingKeys = Set(pending.map(\.request.key))
    }
}
