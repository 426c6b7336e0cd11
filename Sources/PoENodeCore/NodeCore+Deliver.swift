import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoEWire

extension NodeCore {
    /// Applies the batch committed at `sequence` to the ledger, as ledger height
    /// `sequence` (re-applying a height the ledger already has is a no-op that returns the
    /// stored receipt: what a restarted node does). Returns the checkpoint digest event at
    /// checkpoints.
    func deliver(sequence: UInt64, requests: [ClientRequest]) throws(NodeHalt) -> Event? {
        let transactions = requests.map {
            SignedTransaction(sender: $0.client, nonce: $0.timestamp, body: $0.operation, signature: $0.signature)
        }
        let receipt: BatchReceipt
        do {
            receipt = try ledger.apply(batch: Batch(height: sequence, transactions: transactions))
        } catch {
            // A committed batch that cannot be applied means the disk or the ledger is
            // broken; going on would fork this node from the others.
            throw environment.halt("applying committed batch \(sequence) failed: \(error)")
        }
        height = max(height, sequence)
        ledgerMoved = true
        published.withLock { $0.transactions.record(receipt) }
        environment.observe(.batchApplied(sequence: sequence, requests: requests, receipt: receipt))
        try stepDuties(.batchApplied(batchFacts(receipt, transactions: transactions, requests: requests)))
        guard sequence % config.checkpointInterval == 0 else { return nil }
        return try checkpoint(sequence)
    }

    /// What the batch means for this node's duties, read from the receipt and the ledger.
    func batchFacts(_ receipt: BatchReceipt, transactions: [SignedTransaction], requests: [ClientRequest]) -> BatchFacts {
        var assignments: [JobAssignment] = []
        var attested: [Digest] = []
        var equivocations: [Equivocation] = []
        for (transaction, result) in zip(transactions, receipt.results) {
            if let jobID = result.jobID, result.succeeded, let job = try? ledger.job(jobID), let assignment = assignment(for: job) {
                assignments.append(assignment)
            }
            guard case .attest(let signed)? = try? TransactionBody.decode(wireBytes: transaction.body) else { continue }
            if result.succeeded {
                if signed.attestation.nodeKey == duties.nodeKey { attested.append(signed.attestation.jobID) }
            } else if let first = firstAttestation(differingFrom: signed) {
                // A refused attestation (a second one by its validator, or one that came
                // after settlement) may still prove equivocation.
                equivocations.append(Equivocation(first: first, second: signed))
            }
        }
        return BatchFacts(
            height: receipt.height, executed: requests, assignments: assignments, attested: attested,
            settled: receipt.settledJobs, equivocations: equivocations)
    }

    /// The attestation the ledger recorded for the same validator and job, if its digest
    /// differs from `second`'s and `second` is properly signed.
    func firstAttestation(differingFrom second: SignedAttestation) -> SignedAttestation? {
        guard second.isSignatureValid,
            let first = (try? ledger.attestations(jobID: second.attestation.jobID))?.first(where: {
                $0.signed.attestation.nodeKey == second.attestation.nodeKey
            })?.signed,
            first.attestation.resultDigest != second.attestation.resultDigest
        else { return nil }
        return first
    }

    /// The job as a duty of this node, or nil: it must still accept attestations, this
    /// node must be in its validator set, and the ledger must hold no attestation of it.
    func assignment(for job: JobState) -> JobAssignment? {
        switch job.status {
        case .pending, .finalized: break
        case .settled, .failed: return nil
        }
        let key = duties.nodeKey
        guard let set = try? ledger.validatorSet(epoch: job.epoch), set.nodeKeys.contains(key),
            let recorded = try? ledger.attestations(jobID: job.id),
            !recorded.contains(where: { $0.signed.attestation.nodeKey == key })
        else { return nil }
        let missing = Set([job.codeHash, job.spec.inputHash].filter { !environment.blobs.contains($0) })
        return JobAssignment(jobID: job.id, codeHash: job.codeHash, spec: job.spec, missingBlobs: missing)
    }

    /// The ledger as it is now, for duties that start over (a start, an installed state).
    func ledgerFacts() -> LedgerFacts {
        let jobs = (try? ledger.unsettledJobs()) ?? []
        let nonce = (try? ledger.account(duties.nodeKey))??.nonce ?? 0
        return LedgerFacts(height: height, ownNonce: nonce, assignments: jobs.compactMap { assignment(for: $0) })
    }

    /// Archives the state at a checkpoint (durably, before the checkpoint message that
    /// commits to it can leave), and tells the replica the digest it must agree on.
    ///
    /// After a restart the ledger may already be past `sequence` (the replica re-executes
    /// from its stable checkpoint while the ledger returns stored receipts): the state
    /// at `sequence` is then the one archived when it was first executed. Without that
    /// archive, no digest is reported and the replica signs no checkpoint for `sequence`,
    /// which is safe: it adopts the checkpoint the others certify.
    func checkpoint(_ sequence: UInt64) throws(NodeHalt) -> Event? {
        let ledgerHeight = (try? ledger.height()) ?? sequence
        guard ledgerHeight == sequence else {
            guard let archive = ownArchive(sequence) else { return nil }
            return .checkpointDigest(sequence: sequence, appDigest: archive.ledger.stateRoot)
        }
        let root = try archiveState(at: sequence)
        checkpointRoot = root
        checkpointRootHeight = sequence
        environment.observe(.checkpointTaken(sequence: sequence, stateRoot: root))
        return .checkpointDigest(sequence: sequence, appDigest: root)
    }

    /// Streams the state into the archive at `sequence` and returns its root. A failed
    /// write is counted and logged, not fatal (the node only serves no archive for this
    /// checkpoint); the root is then read again without one.
    private func archiveState(at sequence: UInt64) throws(NodeHalt) -> Digest {
        if let table = replica.clientTable(atCheckpoint: sequence) {
            var streamedRoot: Digest?
            do {
                try environment.checkpoints.write(sequence: sequence) { append in
                    streamedRoot = try StateArchive.stream(sequence: sequence, ledger: ledger, clientTable: table) { piece in
                        do { try append(piece) } catch { throw ArchiveSinkFailure(underlying: error) }
                    }
                }
            } catch let failure as ArchiveSinkFailure {
                // The disk refused the archive: the node can go on (peers serve this
                // checkpoint's state; the next checkpoint writes again), counted and logged.
                counters.checkpointWriteFailures += 1
                environment.observe(
                    .log(.error, "writing the checkpoint archive failed", ["sequence": "\(sequence)", "error": "\(failure.underlying)"]))
            } catch {
                // Reading the ledger failed, not the disk of archives: the root is read once
                // more below, and the node halts if the ledger stays unreadable.
                environment.observe(
                    .log(.error, "reading the ledger for the checkpoint archive failed", ["sequence": "\(sequence)", "error": "\(error)"]))
            }
            if let streamedRoot { return streamedRoot }
        }
        do { return try ledger.stateRoot() } catch { throw environment.halt("reading the ledger state failed: \(error)") }
    }

    /// Deletes archives below the stable checkpoint before the current one: the stable
    /// one is served to peers (and the one before, to peers that have not yet seen the
    /// latest), those above it are needed to re-execute after a restart.
    func pruneArchives() {
        let stable = replica.stable.sequence
        guard stable > archivesPrunedBelow else { return }
        let keepFrom = stable > config.checkpointInterval ? stable - config.checkpointInterval : 0
        for sequence in environment.checkpoints.sequences() where sequence < keepFrom {
            environment.checkpoints.remove(sequence: sequence)
        }
        archivesPrunedBelow = stable
    }
}

/// An error of the archive's sink (the disk), told apart from one reading the ledger.
private struct ArchiveSinkFailure: Error {
    let underlying: any Error
}
