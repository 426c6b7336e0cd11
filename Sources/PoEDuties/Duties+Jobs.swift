import PBFT
import PoECrypto
import PoELedger

/// Jobs: take them up, fetch what they need, run them, attest, attest again.
extension Duties {
    /// The ledger was read at start, or replaced by a checkpoint's state: the open jobs
    /// are exactly the facts' assignments (jobs settled or attested meanwhile are
    /// dropped), and each new one is taken up. A job this node ran before a restart is
    /// run again: the result is deterministic, so the attestation is the one it sent.
    mutating func onLedgerReplaced(_ facts: LedgerFacts, takeUpJobs: Bool) {
        height = facts.height
        ownNonce = max(ownNonce, facts.ownNonce)
        let assigned = Set(facts.assignments.map(\.jobID))
        for jobID in jobs.keys.sorted() where !assigned.contains(jobID) { jobs[jobID] = nil }
        guard takeUpJobs else { return }
        for assignment in facts.assignments.sorted(by: { $0.jobID < $1.jobID }) { takeUp(assignment) }
        resubmitOvertakenAttestations()
    }

    mutating func onBatchApplied(_ facts: BatchFacts) {
        // A restarted node re-applies heights its ledger already holds: never go back.
        height = max(height, facts.height)
        for jobID in facts.attested { jobs[jobID] = nil }
        for jobID in facts.settled { jobs[jobID] = nil }
        for assignment in facts.assignments { takeUp(assignment) }
        for equivocation in facts.equivocations { submitEvidence(equivocation) }
        settleOwnRequests(executed: facts.executed)
        resubmitOvertakenAttestations()
    }

    /// Starts on a job unless it is already open: fetches the blobs it lacks, or runs it.
    mutating func takeUp(_ assignment: JobAssignment) {
        guard jobs[assignment.jobID] == nil else { return }
        guard jobs.count < settings.jobsOpenMax else {
            counters.jobsSkippedFull += 1
            return
        }
        if assignment.missingBlobs.isEmpty {
            jobs[assignment.jobID] = OpenJob(assignment: assignment, phase: .running)
            run(assignment)
        } else {
            jobs[assignment.jobID] = OpenJob(assignment: assignment, phase: .waitingForBlobs(assignment.missingBlobs))
            for blob in assignment.missingBlobs.sorted() { fetch(blob) }
        }
    }

    mutating func run(_ assignment: JobAssignment) {
        precondition(jobs[assignment.jobID]?.phase == .running, "a job runs from the running phase")
        counters.jobsStarted += 1
        actions.append(.runJob(assignment))
    }

    mutating func fetch(_ blob: Digest) {
        counters.blobRequests += 1
        actions.append(.fetchBlob(blob))
    }

    mutating func onBlobStored(_ blob: Digest) {
        for jobID in jobs.keys.sorted() {
            guard let job = jobs[jobID], case .waitingForBlobs(var missing) = job.phase, missing.contains(blob) else {
                continue
            }
            missing.remove(blob)
            if missing.isEmpty {
                jobs[jobID]?.phase = .running
                run(job.assignment)
            } else {
                jobs[jobID]?.phase = .waitingForBlobs(missing)
            }
        }
    }

    mutating func onJobNotRun(_ jobID: Digest, _ reason: JobNotRun) {
        guard jobs[jobID]?.phase == .running else { return }
        switch reason {
        case .runnerFull:
            counters.runnerFull += 1
            jobs[jobID]?.phase = .queued
        case .blobUnreadable(let blob):
            counters.localBlobFailures += 1
            jobs[jobID]?.phase = .waitingForBlobs([blob])
            fetch(blob)
        case .profileUnsupported:
            counters.profileUnsupported += 1
            jobs[jobID]?.phase = .unrunnable
        }
    }

    /// Attests the result — or, on purpose, misbehaves as the fault mode says.
    mutating func onJobFinished(_ jobID: Digest, _ result: JobResult) {
        guard jobs[jobID]?.phase == .running else {
            counters.resultsForClosedJobs += 1
            return
        }
        let honest = Attestation(
            chainID: settings.chainID, jobID: jobID, resultDigest: result.resultDigest, profile: result.profile,
            outcome: result.outcome, outputHash: result.outputHash, logHash: result.logHash, fuelUsed: result.fuelUsed,
            nodeKey: nodeKey)
        var wrong = honest
        wrong.resultDigest = Digest.sha256(Array("wrong result".utf8) + result.resultDigest.bytes)
        let attestations: [Attestation]
        switch settings.fault {
        case nil: attestations = [honest]
        case .wrongResult?: attestations = [wrong]
        case .silentAttester?: attestations = []
        case .equivocate?: attestations = [honest, wrong]
        }
        guard !attestations.isEmpty else {
            jobs[jobID]?.phase = .silent
            return
        }
        let signed = attestations.map { $0.signed(by: key) }
        for attestation in signed { submit(.attest(attestation)) }
        jobs[jobID]?.phase = .attested(signed, sentHeight: height, lastNonce: lastNonceUsed)
        counters.attestationsSubmitted += signed.count
    }

    /// An attestation whose transactions' nonces the account has passed, yet which the
    /// ledger has not recorded, can never be recorded by them: another transaction of the
    /// node key took the nonce (one signed before a restart, still in flight when this
    /// incarnation reused its nonce) or overtook it. Submitted again at once, with a fresh
    /// nonce: waiting for more heights could wait for ever on a chain that only the job's
    /// settlement would move (seed 82,089 of the long run).
    mutating func resubmitOvertakenAttestations() {
        for jobID in jobs.keys.sorted() {
            guard case .attested(let signed, _, let lastNonce)? = jobs[jobID]?.phase, lastNonce <= ownNonce else { continue }
            resubmit(jobID, signed)
        }
    }

    mutating func resubmit(_ jobID: Digest, _ signed: [SignedAttestation]) {
        for attestation in signed { submit(.attest(attestation)) }
        jobs[jobID]?.phase = .attested(signed, sentHeight: height, lastNonce: lastNonceUsed)
        counters.attestationsResubmitted += signed.count
    }

    /// A validator's second, different attestation for a job is equivocation: submit the
    /// evidence once (any node may; the ledger punishes once).
    mutating func submitEvidence(_ equivocation: Equivocation) {
        guard equivocation.first.attestation.resultDigest != equivocation.second.attestation.resultDigest else { return }
        let remembered = EvidenceKey(
            validator: equivocation.first.attestation.nodeKey, jobID: equivocation.first.attestation.jobID)
        guard evidenceSent.insert(remembered).inserted else { return }
        evidenceOrder.append(remembered)
        if evidenceOrder.count > settings.evidenceRememberedMax {
            evidenceSent.remove(evidenceOrder.removeFirst())
        }
        counters.evidenceSubmitted += 1
        submit(.evidence(first: equivocation.first, second: equivocation.second))
    }

    /// A transaction from the node key, above every nonce the ledger or this node used.
    mutating func submit(_ body: TransactionBody) {
        lastNonceUsed = max(ownNonce, lastNonceUsed) + 1
        actions.append(.submit(SignedTransaction.make(signer: key, nonce: lastNonceUsed, body: body)))
    }

    /// On a retry tick: blobs asked again, queued jobs started again, attestations the
    /// ledger has not recorded after a few heights submitted again in a new transaction.
    mutating func retryJobs() {
        for blob in wantedBlobs.sorted() { fetch(blob) }
        for jobID in jobs.keys.sorted() {
            guard let job = jobs[jobID] else { continue }
            switch job.phase {
            case .queued:
                jobs[jobID]?.phase = .running
                run(job.assignment)
            case .attested(let signed, let sentHeight, _) where sentHeight + settings.attestationResubmitHeights <= height:
                resubmit(jobID, signed)
            case .waitingForBlobs, .running, .attested, .silent, .unrunnable: break
            }
        }
    }
}
