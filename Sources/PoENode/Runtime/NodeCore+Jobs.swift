import Foundation
import PBFT
import PoECrypto
import PoEExecutor
import PoELedger
import PoEWire

extension NodeCore {
    var nodeKey: PrivateKey { settings.nodeKey }

    /// A job was committed: run it if this node is in the job's validator set, once
    /// its code and input are here (asking peers for what is missing).
    func scheduleJob(_ jobID: Digest) {
        guard let job = try? ledger.job(jobID), job.status == .pending else { return }
        guard let set = try? ledger.validatorSet(epoch: job.epoch), set.nodeKeys.contains(nodeKey.publicKey) else {
            return
        }
        let missing = Set([job.codeHash, job.spec.inputHash].filter { !blobs.contains($0) })
        guard !missing.isEmpty else {
            start(job)
            return
        }
        guard !blobWaits.isFull else {
            logger.warning("too many jobs waiting for blobs; skipping", metadata: ["job": "\(jobID.short)"])
            return
        }
        blobWaits.wait(job: jobID, for: missing)
        for blob in missing.sorted() { network.broadcast(PeerMessage.blobRequest(blob).wireBytes) }
    }

    private func start(_ job: JobState) {
        let execution = JobExecution(
            jobID: job.id, codeHash: job.codeHash, inputHash: job.spec.inputHash, entry: job.spec.entryPoint,
            fuelLimit: job.spec.fuelLimit, memoryLimitPages: job.spec.memoryLimitPages)
        let inbox = self.inbox
        let logger = self.logger
        let accepted = jobs.run(execution, store: blobs) { outcome in
            switch outcome {
            case .success(let result): inbox.enqueue(.jobFinished(jobID: job.id, result: result))
            case .failure(let error):
                logger.error("job could not run", metadata: ["job": "\(job.id.short)", "error": "\(error)"])
            }
        }
        if !accepted { logger.warning("job queue full; skipping", metadata: ["job": "\(job.id.short)"]) }
    }

    /// Attests a finished job — or, on purpose, misbehaves as the node's fault mode says.
    func jobFinished(jobID: Digest, result: ExecutionResult) {
        metrics.recordJob(outcome: result.outcome)
        let honest = Attestation(
            chainID: genesis.chainID, jobID: jobID, resultDigest: result.resultDigest, outputHash: result.outputHash,
            logHash: result.logHash, fuelUsed: result.fuelUsed, nodeKey: nodeKey.publicKey)
        var wrong = honest
        wrong.resultDigest = Digest.sha256(Array("wrong result".utf8) + result.resultDigest.bytes)
        let attestations: [Attestation]
        switch settings.fault {
        case .none: attestations = [honest]
        case .wrongResult: attestations = [wrong]
        case .silentAttester: attestations = []
        case .equivocate: attestations = [honest, wrong]
        }
        let signed = attestations.map { $0.signed(by: nodeKey) }
        guard !signed.isEmpty else { return }
        send(signed.map { .attest($0) })
        self.attestations.sent(signed, job: jobID, height: (try? ledger.height()) ?? 0)
    }

    /// Sends each body as a transaction from the node key, with fresh nonces.
    func send(_ bodies: [TransactionBody]) {
        for body in bodies {
            let transaction = SignedTransaction.make(signer: nodeKey, nonce: nextNonce(), body: body)
            submit(
                ClientRequest(
                    client: transaction.sender, timestamp: transaction.nonce, operation: transaction.body,
                    signature: transaction.signature), relay: true)
        }
    }

    /// Above both the ledger's nonce for the node key and every nonce used since start.
    private func nextNonce() -> UInt64 {
        let committed = (try? ledger.account(nodeKey.publicKey))??.nonce ?? 0
        lastNonceUsed = max(committed, lastNonceUsed) + 1
        return lastNonceUsed
    }

    /// Sends again the attestations that have not reached the ledger after a few
    /// heights (a request lost to a crash or a view change), while their job is open.
    func resubmitStaleAttestations() {
        guard let height = try? ledger.height() else { return }
        for jobID in attestations.stale(at: height, resubmitHeights: settings.attestationResubmitHeights) {
            let recorded = (try? ledger.attestations(jobID: jobID)) ?? []
            guard let job = try? ledger.job(jobID), job.status == .pending || job.status == .finalized,
                !recorded.contains(where: { $0.signed.attestation.nodeKey == nodeKey.publicKey }),
                let entry = attestations.open[jobID]
            else {
                attestations.forget(jobID)
                continue
            }
            send(entry.attestations.map { .attest($0) })
            attestations.sent(entry.attestations, job: jobID, height: height)
        }
    }

    /// A validator's second, different attestation for a job is equivocation: submit
    /// the evidence (any node may; the ledger punishes once).
    func checkEquivocation(_ transaction: SignedTransaction) {
        guard case .attest(let second)? = try? TransactionBody.decode(wireBytes: transaction.body),
            second.isSignatureValid,
            let first = (try? ledger.attestations(jobID: second.attestation.jobID))?.first(where: {
                $0.signed.attestation.nodeKey == second.attestation.nodeKey
            })?.signed,
            first.attestation.resultDigest != second.attestation.resultDigest
        else { return }
        logger.notice("equivocation seen", metadata: ["validator": "\(second.attestation.nodeKey.short)"])
        send([.evidence(first: first, second: second)])
    }

    // MARK: blobs between peers

    func serveBlob(_ digest: Digest, to peer: PublicKey) {
        guard let bytes = try? blobs.get(digest), bytes.count <= PeerMessage.blobBytesMax else { return }
        network.send(PeerMessage.blobResponse(digest, bytes).wireBytes, to: peer)
    }

    /// Keeps a blob a peer sent, if it was wanted and its bytes hash to its name.
    func receiveBlob(_ digest: Digest, bytes: [UInt8]) {
        guard blobWaits.wanted.contains(digest), !blobs.contains(digest) else { return }
        guard Digest.sha256(bytes) == digest else {
            invalidPeerMessages += 1
            return
        }
        do { _ = try blobs.put(bytes) } catch {
            logger.error("storing a fetched blob failed", metadata: ["error": "\(error)"])
            return
        }
        for jobID in blobWaits.arrived(digest) {
            if let job = try? ledger.job(jobID), job.status == .pending { start(job) }
        }
    }
}
