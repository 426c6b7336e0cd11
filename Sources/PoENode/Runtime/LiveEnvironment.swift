import Foundation
import Logging
import PBFT
public import PoECrypto
import PoEDuties
public import PoEExecutor
import PoELedger
public import PoENodeCore
import PoETransport
import PoEWire

/// The real world of `NodeCore`: the consensus log on SQLite, checkpoint archives as
/// files, the peer port, the job runner on its own queue, the blob store on disk, and
/// the node's metrics and log. Used on the loop thread only (the job runner calls back
/// through the inbox).
final class LiveEnvironment: NodeEnvironment, @unchecked Sendable {
    let network: PeerNetwork
    let consensusLog: ConsensusLog
    let checkpointFiles: CheckpointFiles
    let blobStore: BlobStore
    let jobRunner: JobRunner
    let inbox: NodeInbox
    let metrics: NodeMetrics
    let logger: Logger
    /// Set once the core exists: settlement facts for the slash counter are read there.
    var ledger: Ledger?
    /// The profile every job runs under (genesis), or nil when this node does not run it.
    let profile: ExecutionProfile?
    let profileName: String

    init(
        network: PeerNetwork, consensusLog: ConsensusLog, checkpointFiles: CheckpointFiles, blobStore: BlobStore,
        jobRunner: JobRunner, inbox: NodeInbox, metrics: NodeMetrics, logger: Logger, profileName: String,
        profilesAllowed: [String]?
    ) {
        self.profileName = profileName
        let allowed = profilesAllowed.map { $0.contains(profileName) } ?? true
        profile = allowed ? try? Executor.profile(named: profileName) : nil
        self.network = network
        self.consensusLog = consensusLog
        self.checkpointFiles = checkpointFiles
        self.blobStore = blobStore
        self.jobRunner = jobRunner
        self.inbox = inbox
        self.metrics = metrics
        self.logger = logger
    }

    var blobs: any BlobHolding { blobStore }
    var checkpoints: any CheckpointStore { checkpointFiles }

    func persist(_ records: [PersistedRecord]) throws(NodeHalt) {
        do {
            try consensusLog.append(records)
            if records.contains(where: { if case .stableCheckpoint = $0 { return true } else { return false } }) {
                try consensusLog.compactIfLarge()
            }
        } catch {
            // Without its log the node cannot keep its promise never to double-sign.
            fatalError("consensus log write failed: \(error)")
        }
    }

    func halt(_ reason: String) -> NodeHalt {
        logger.critical("stopping: \(reason)")
        fatalError(reason)
    }

    func send(_ message: PeerMessage, to peer: PublicKey) { network.send(message.wireBytes, to: peer) }
    func broadcast(_ message: PeerMessage) { network.broadcast(message.wireBytes) }

    /// Runs the job on the runner's queue; its end always comes back through the inbox's
    /// reserved lane (bounded by the runner's queue), so no result is ever dropped.
    func startJob(_ assignment: JobAssignment) -> Bool {
        guard let profile else {
            inbox.enqueue(.jobNotRun(jobID: assignment.jobID, .profileUnsupported(profileName)), reserved: true)
            return true
        }
        let spec = assignment.spec
        let execution = JobExecution(
            jobID: assignment.jobID, codeHash: assignment.codeHash, inputHash: spec.inputHash, entry: spec.entryPoint,
            fuelLimit: spec.fuelLimit, memoryLimitPages: spec.memoryLimitPages)
        let inbox = self.inbox
        let metrics = self.metrics
        let store = blobStore
        return jobRunner.run(execution, store: store, profile: profile) { outcome in
            switch outcome {
            case .success(let result):
                metrics.recordJob(outcome: result.outcome)
                let reported = JobResult(
                    resultDigest: result.resultDigest, outputHash: result.outputHash, logHash: result.logHash,
                    fuelUsed: result.fuelUsed)
                inbox.enqueue(.jobFinished(jobID: assignment.jobID, reported), reserved: true)
            case .failure(let error):
                let blob = LiveEnvironment.unreadableBlob(error, fallback: assignment.codeHash)
                if case .corrupted = error { try? store.remove(blob) }
                inbox.enqueue(.jobNotRun(jobID: assignment.jobID, .blobUnreadable(blob)), reserved: true)
            }
        }
    }

    static func unreadableBlob(_ error: BlobStoreError, fallback: Digest) -> Digest {
        switch error {
        case .notFound(let digest): return digest
        case .corrupted(let expected, _): return expected
        case .tooLarge, .io: return fallback
        }
    }

    func observe(_ event: NodeEvent) {
        switch event {
        case .batchApplied(_, let requests, let receipt):
            metrics.recordBatch(receipt: receipt, requests: requests)
            if let ledger, !receipt.settledJobs.isEmpty { metrics.recordSlashes(divergentAttesters(receipt.settledJobs, ledger)) }
        case .checkpointTaken(let sequence, _):
            logger.debug("checkpoint archived", metadata: ["sequence": "\(sequence)"])
        case .stateInstalled: break
        case .log(let level, let message, let metadata):
            logger.log(level: LiveEnvironment.level(level), "\(message)", metadata: metadata.mapValues { .string($0) })
        case .duty(let action): logDuty(action)
        }
    }

    private func logDuty(_ action: DutyAction) {
        switch action {
        case .runJob(let assignment):
            logger.info("running job", metadata: ["job": "\(assignment.jobID.short)", "fuel": "\(assignment.spec.fuelLimit)"])
        case .submit(let transaction):
            guard case .attest(let signed)? = try? TransactionBody.decode(wireBytes: transaction.body) else {
                logger.notice("submitting evidence of equivocation", metadata: ["nonce": "\(transaction.nonce)"])
                return
            }
            logger.info(
                "attesting",
                metadata: ["job": "\(signed.attestation.jobID.short)", "digest": "\(signed.attestation.resultDigest.short)"])
        case .fetchBlob(let digest): logger.debug("fetching blob", metadata: ["blob": "\(digest.short)"])
        case .resend(let request): logger.debug("resending request", metadata: ["client": "\(request.client.short)"])
        case .refuse(let request, let reason):
            logger.info("request refused", metadata: ["client": "\(request.client.short)", "reason": "\(reason)"])
        }
    }

    /// How many validators attested something other than the agreed digest of these
    /// settled jobs: the ones settlement slashed.
    private func divergentAttesters(_ jobs: [Digest], _ ledger: Ledger) -> Int {
        jobs.reduce(0) { count, jobID in
            guard let agreed = (try? ledger.job(jobID))??.agreedDigest, let recorded = try? ledger.attestations(jobID: jobID) else {
                return count
            }
            return count + recorded.filter { $0.signed.attestation.resultDigest != agreed }.count
        }
    }

    private static func level(_ level: NodeLogLevel) -> Logger.Level {
        switch level {
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        }
    }
}

extension BlobStore: BlobHolding {
    public func read(_ digest: Digest) throws -> [UInt8] { try get(digest) }
    public func store(_ bytes: [UInt8]) throws -> Digest { try put(bytes) }
}
