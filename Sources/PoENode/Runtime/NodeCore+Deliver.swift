import Foundation
import PBFT
import PoECrypto
import PoELedger
import PoEWire

extension NodeCore {
    /// Applies the batch committed at `sequence` to the ledger, as ledger height
    /// `sequence` (re-applying a height the ledger already has is a no-op, which is what
    /// a restarted node does). Returns the checkpoint digest event at checkpoints.
    func deliver(sequence: UInt64, requests: [ClientRequest]) -> Event? {
        let transactions = requests.map {
            SignedTransaction(sender: $0.client, nonce: $0.timestamp, body: $0.operation, signature: $0.signature)
        }
        let receipt: BatchReceipt
        do {
            receipt = try ledger.apply(batch: Batch(height: sequence, transactions: transactions))
        } catch {
            // A committed batch that cannot be applied means the disk or the ledger is
            // broken; going on would fork this node from the others.
            fatalError("applying committed batch \(sequence) failed: \(error)")
        }
        ledgerMoved = true
        published.withLockedValue { $0.transactions.record(receipt) }
        metrics.recordBatch(receipt: receipt, requests: requests, arrivals: &arrivals)
        for (transaction, result) in zip(transactions, receipt.results) {
            // A refused attestation (a second one by its validator, or one that came
            // after settlement) may still prove equivocation.
            if result.rejection == nil { afterCommit(transaction, jobID: result.jobID) } else { checkEquivocation(transaction) }
        }
        for jobID in receipt.settledJobs {
            attestations.forget(jobID)
            metrics.recordSlashes(divergentAttesters(jobID))
        }
        guard sequence % config.checkpointInterval == 0 else { return nil }
        return checkpoint(sequence)
    }

    /// Reacts to a committed transaction: a new job is run; this node's own attestation
    /// stops being resent.
    private func afterCommit(_ transaction: SignedTransaction, jobID: Digest?) {
        if let jobID { scheduleJob(jobID) }
        guard case .attest(let signed)? = try? TransactionBody.decode(wireBytes: transaction.body) else { return }
        attestations.committed(signed, ownKey: settings.nodeKey.publicKey)
    }

    /// How many validators attested something other than the agreed digest: the ones
    /// settlement slashed.
    private func divergentAttesters(_ jobID: Digest) -> Int {
        guard let agreed = (try? ledger.job(jobID))??.agreedDigest,
            let recorded = try? ledger.attestations(jobID: jobID)
        else { return 0 }
        return recorded.filter { $0.signed.attestation.resultDigest != agreed }.count
    }

    /// Records the ledger's root at a checkpoint, keeps a snapshot to serve to peers
    /// that fall behind, and tells the replica the digest it must agree on.
    private func checkpoint(_ sequence: UInt64) -> Event {
        let snapshot: LedgerSnapshot
        do { snapshot = try ledger.snapshot() } catch { fatalError("reading the ledger snapshot failed: \(error)") }
        lastCheckpointRoot = snapshot.stateRoot
        archives[sequence] = snapshot
        for old in archives.keys.sorted().dropLast(settings.archivesKept) { archives[old] = nil }
        try? consensusLog.compactIfLarge()
        return .checkpointDigest(sequence: sequence, appDigest: snapshot.stateRoot)
    }
}
