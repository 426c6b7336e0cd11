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
    let activity: ActivityHistory
    let logger: Logger
    /// The ledger the core applies batches to: what the batches did to jobs is read there.
    let ledger: Ledger
    /// The highest height applied so far; a batch at or below it is one the replica
    /// executes again after a restart (the ledger returns its stored receipt): nothing new
    /// to count or log.
    var heightApplied: UInt64
    /// The checkpoint whose state this node keeps asking its peers for, and how often it asked.
    var stateRequests: (sequence: UInt64, count: Int)?
    /// State requests are retried every few seconds; a missing answer is reported at the
    /// 5th, 10th, 20th, ... request rather than at each.
    static let stateRequestsFirstReport = 5
    /// The profile every job runs under (genesis), or nil when this node does not run it.
    let profile: ExecutionProfile?
    let profileName: String

    init(
        network: PeerNetwork, consensusLog: ConsensusLog, checkpointFiles: CheckpointFiles, blobStore: BlobStore,
        jobRunner: JobRunner, inbox: NodeInbox, metrics: NodeMetrics, activity: ActivityHistory, ledger: Ledger,
        logger: Logger, profileName: String, profilesAllowed: [String]?
    ) throws {
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
        self.activity = activity
        self.ledger = ledger
        self.logger = logger
        heightApplied = try ledger.height()
    }

    var blobs: any BlobHolding { blobStore }
    var checkpoints: any CheckpointStore { checkpointFiles }

    func persist(_ records: [PersistedRecord]) throws(NodeHalt) {
        do {
            try consensusLog.appendCompacting(records)
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

    func broadcast(_ message: PeerMessage) {
        if case .stateRequest(let sequence) = message { noteStateRequest(sequence) }
        network.broadcast(message.wireBytes)
    }

    /// Counts the requests for one checkpoint's state; reports, at doubling intervals,
    /// that no peer has served it yet (the replica retries on its own).
    private func noteStateRequest(_ sequence: UInt64) {
        var requests = stateRequests ?? (sequence, 0)
        if requests.sequence != sequence { requests = (sequence, 0) }
        requests.count += 1
        stateRequests = requests
        let count = requests.count
        guard count >= LiveEnvironment.stateRequestsFirstReport, count % LiveEnvironment.stateRequestsFirstReport == 0,
            (count / LiveEnvironment.stateRequestsFirstReport).nonzeroBitCount == 1
        else { return }
        logger.warning(
            "state transfer: no peer has served the checkpoint's state yet; still asking",
            metadata: [
                "sequence": "\(sequence)", "requests": "\(count)", "peersLinked": "\(network.connectedPeers.count)",
                "reason": "every linked peer was asked; none answered with the state the quorum certified",
            ])
    }

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
        let logger = self.logger
        let store = blobStore
        return jobRunner.run(execution, store: store, profile: profile) { outcome, duration in
            switch outcome {
            case .success(let result):
                metrics.recordJobRun(outcome: result.outcome, duration: duration)
                logger.info(
                    "job ran",
                    metadata: [
                        "job": "\(assignment.jobID.short)", "outcome": "\(result.outcome)", "fuel": "\(result.fuelUsed)",
                        "seconds": "\(LiveEnvironment.seconds(duration))", "digest": "\(result.resultDigest.short)",
                    ])
                let reported = JobResult(
                    resultDigest: result.resultDigest, profile: result.profile, outcome: result.outcome.wireBytes,
                    outputHash: result.outputHash, logHash: result.logHash, fuelUsed: result.fuelUsed)
                inbox.enqueue(.jobFinished(jobID: assignment.jobID, reported), reserved: true)
            case .failure(let error):
                let blob = LiveEnvironment.unreadableBlob(error, fallback: assignment.codeHash)
                logger.warning(
                    "job not run: a blob is unreadable (fetched again)",
                    metadata: ["job": "\(assignment.jobID.short)", "blob": "\(blob.short)", "reason": "\(error)"])
                if case .corrupted = error { try? store.remove(blob) }
                inbox.enqueue(.jobNotRun(jobID: assignment.jobID, .blobUnreadable(blob)), reserved: true)
            }
        }
    }

    /// Seconds with millisecond precision, for log lines.
    static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
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
        case .batchApplied(let sequence, let requests, let receipt):
            guard sequence > heightApplied else { return }
            heightApplied = sequence
            noteBatch(sequence: sequence, requests: requests, receipt: receipt)
        case .checkpointTaken(let sequence, let root):
            logger.debug("checkpoint archived", metadata: ["sequence": "\(sequence)", "root": "\(root.short)"])
        case .stateInstalled(let sequence, _):
            heightApplied = max(heightApplied, sequence)
            stateRequests = nil
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
            // The node's own transactions count in the commit latency as a client's do.
            metrics.noteArrival(
                ClientRequest(
                    client: transaction.sender, timestamp: transaction.nonce, operation: transaction.body,
                    signature: transaction.signature
                ).key)
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
            // Clients decide how often this happens: one line each at debug, and a
            // rate-limited summary at warning (`CounterReports`).
            logger.debug("request refused", metadata: ["client": "\(request.client.short)", "reason": "\(reason)"])
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
