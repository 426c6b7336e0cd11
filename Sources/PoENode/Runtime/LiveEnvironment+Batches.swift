import Logging
import PBFT
import PoECrypto
import PoELedger

/// What a newly applied batch did, for the operator: counted in the metrics and the
/// status page's history, and logged at info with the job, height and digest — jobs
/// submitted, finalized (their digest anchored at this height), settled with the
/// validators slashed, and failed. Read from the receipt and a few ledger rows per job
/// the batch touched (by primary key), on the loop, after the batch is applied.
extension LiveEnvironment {
    func noteBatch(sequence: UInt64, requests: [ClientRequest], receipt: BatchReceipt) {
        let latencies = metrics.recordBatch(receipt: receipt, requests: requests)
        activity.recordBatch(transactions: receipt.results.count, latencies: latencies)
        var attestedJobs: [Digest] = []
        for (request, result) in zip(requests, receipt.results) where result.succeeded {
            if let jobID = result.jobID {
                noteSubmitted(jobID, height: sequence)
            } else if case .attest(let signed)? = try? TransactionBody.decode(wireBytes: request.operation),
                !attestedJobs.contains(signed.attestation.jobID)
            {
                attestedJobs.append(signed.attestation.jobID)
            }
        }
        for jobID in attestedJobs {
            // Finalized by this batch: its digest was anchored at this height.
            guard let anchor = readLedger("anchor", { try ledger.anchor(jobID: jobID) }) ?? nil, anchor.height == sequence else {
                continue
            }
            noteJob(.finalized)
            logger.info(
                "job finalized", metadata: ["job": "\(jobID.short)", "height": "\(sequence)", "digest": "\(anchor.digest.short)"])
        }
        for jobID in receipt.settledJobs { noteSettled(jobID, height: sequence) }
    }

    private func noteSubmitted(_ jobID: Digest, height: UInt64) {
        noteJob(.pending)
        guard let job = readLedger("job", { try ledger.job(jobID) }) ?? nil else { return }
        logger.info(
            "job submitted",
            metadata: [
                "job": "\(jobID.short)", "height": "\(height)", "fee": "\(job.fee)", "deadline": "\(job.deadlineHeight)",
                "submitter": "\(job.submitter.short)",
            ])
    }

    /// A job paid out (its divergent validators slashed) or refunded.
    private func noteSettled(_ jobID: Digest, height: UInt64) {
        guard let job = readLedger("job", { try ledger.job(jobID) }) ?? nil,
            let attestations = readLedger("attestations", { try ledger.attestations(jobID: jobID) })
        else { return }
        switch job.status {
        case .settled:
            guard let agreed = job.agreedDigest else { return }
            let divergent = attestations.filter { $0.signed.attestation.resultDigest != agreed }
            noteJob(.settled)
            logger.info(
                "job settled",
                metadata: [
                    "job": "\(jobID.short)", "height": "\(height)", "digest": "\(agreed.short)",
                    "paid": "\(attestations.count - divergent.count)", "slashed": "\(divergent.count)",
                ])
            metrics.recordSlashes(divergent.count)
            for record in divergent { noteSlash(record.signed.attestation, agreed: agreed, height: height) }
        case .failed:
            noteJob(.failed)
            let set = readLedger("validator set", { try ledger.validatorSet(epoch: job.epoch) }) ?? nil
            let everyone = set.map { attestations.count >= $0.count } ?? false
            logger.notice(
                "job failed: fee refunded",
                metadata: [
                    "job": "\(jobID.short)", "height": "\(height)", "attestations": "\(attestations.count)",
                    "quorum": "\(set?.quorum ?? 0)",
                    "reason": everyone
                        ? "every validator attested and no digest reached the quorum"
                        : "no digest reached the quorum by the deadline (height \(job.deadlineHeight))",
                ])
        case .pending, .finalized:
            logger.error("a settled job is still open in the ledger", metadata: ["job": "\(jobID.short)", "height": "\(height)"])
        }
    }

    private func noteSlash(_ attestation: Attestation, agreed: Digest, height: UInt64) {
        activity.recordSlash(
            SlashInfo(
                nodeKey: attestation.nodeKey.hex, jobID: attestation.jobID.hex, height: height,
                attestedDigest: attestation.resultDigest.hex, agreedDigest: agreed.hex))
        logger.notice(
            "validator slashed",
            metadata: [
                "job": "\(attestation.jobID.short)", "height": "\(height)", "peer": "\(attestation.nodeKey.short)",
                "digest": "\(attestation.resultDigest.short)", "agreed": "\(agreed.short)",
                "reason": "attested a result digest other than the agreed one",
            ])
    }

    private func noteJob(_ status: JobStatus) {
        metrics.recordJobStatus(status)
        activity.recordJob(status)
    }

    /// A ledger read for the log; a failure is logged and the line is skipped.
    private func readLedger<T>(_ what: String, _ body: () throws -> T) -> T? {
        do { return try body() } catch {
            logger.error("reading the ledger for the log failed", metadata: ["what": "\(what)", "reason": "\(error)"])
            return nil
        }
    }
}
