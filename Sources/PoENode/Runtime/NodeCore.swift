import Foundation
import Logging
import NIOConcurrencyHelpers
import PBFT
import PoECrypto
import PoEExecutor
import PoELedger
import PoETransport
import PoEWire

/// The node's shell around the PBFT core: it decodes and validates what peers send,
/// steps the replica, performs the actions it returns (persist before send), applies
/// committed batches to the ledger, runs jobs and submits this node's attestations.
///
/// Confined to the node's loop thread: other threads touch only `published` (behind its
/// lock), `metrics` and `inbox` (both thread-safe) and the `let` configuration, which is
/// why the unchecked conformance is sound.
final class NodeCore: @unchecked Sendable {
    struct Settings {
        var name: String
        var chainID: String
        var nodeKey: PrivateKey
        var fault: FaultMode?
        var tuning: ConsensusTuning
        /// Ticks between two requests for a missing blob, and between two checks that an
        /// attestation was committed.
        var retryTicks: UInt64 = 20
        /// Blocks after which an attestation not yet in the ledger is sent again.
        var attestationResubmitHeights: UInt64 = 8
        var transactionIndexMax = 100_000
        var archivesKept = 2
    }

    let settings: Settings
    let genesis: Genesis
    let config: Config
    let replicaID: ReplicaID
    var replica: Replica
    let ledger: Ledger
    let consensusLog: ConsensusLog
    let blobs: BlobStore
    /// Transaction signatures verified once per node, whichever path they arrive by.
    let signatures: SignatureCache
    let network: PeerNetwork
    let validator: MessageValidator
    let jobs: JobRunner
    let published: NIOLockedValueBox<Published>
    let inbox: NodeInbox
    let logger: Logger

    var ticks: UInt64 = 0
    /// Records the replica asked to persist, not yet written.
    var unsaved: [PersistedRecord] = []
    /// Messages waiting for the records before them to be durable (nil: to everyone).
    var outbox: [(bytes: [UInt8], peer: PublicKey?)] = []
    var lastNonceUsed: UInt64 = 0
    var malformedPeerMessages = 0
    var stateTransfers = 0
    /// Set when a batch or a fetched state changed the ledger, so that the group's end
    /// tells the replica whether jobs still wait (true at start: a restart may hold some).
    var ledgerMoved = true
    var loggedView: UInt64 = 0
    var invalidPeerMessages = 0
    var attestations = AttestationTracker()
    var blobWaits = BlobWaits()
    /// Ledger snapshots at recent checkpoints, served to peers catching up.
    var archives: [UInt64: LedgerSnapshot] = [:]
    var lastCheckpointRoot = Digest.zero
    /// When requests submitted through this node arrived, for the latency histogram.
    var arrivals: [RequestKey: ContinuousClock.Instant] = [:]
    /// Requests this node's clients submitted, not yet executed, with the tick they were
    /// last sent: resent as PBFT clients do, until executed or overtaken.
    var ownRequests: [RequestKey: (request: ClientRequest, sentTick: UInt64)] = [:]
    let metrics = NodeMetrics()

    /// What the API reads.
    struct Published: Sendable {
        var status: NodeStatus
        var transactions: TransactionIndex
    }

    init(
        settings: Settings, genesis: Genesis, ledgerPath: String, consensusLog: ConsensusLog, blobs: BlobStore,
        signatures: SignatureCache,
        network: PeerNetwork, jobs: JobRunner, inbox: NodeInbox, logger: Logger
    ) throws {
        self.inbox = inbox
        self.signatures = signatures
        self.settings = settings
        self.genesis = genesis
        self.consensusLog = consensusLog
        self.blobs = blobs
        self.network = network
        self.jobs = jobs
        self.logger = logger
        config = NodeCore.consensusConfig(genesis: genesis, tuning: settings.tuning)
        guard let id = config.replicas.firstIndex(of: settings.nodeKey.publicKey) else {
            throw NodeHomeError.invalidConfig("node key \(settings.nodeKey.publicKey.short) is not a genesis validator")
        }
        replicaID = ReplicaID(id)
        // Votes are retransmitted byte for byte (signing is deterministic), and requests
        // arrive by several paths: each signature is verified once.
        validator = MessageValidator(config: config) { key, signature, bytes, domain in
            signatures.verify(signature, by: key, for: bytes, domain: domain)
        }
        ledger = try Ledger.open(path: ledgerPath, genesis: genesis, signatures: signatures)
        let records = try consensusLog.load()
        replica =
            records.isEmpty
            ? Replica(config: config, id: replicaID, key: settings.nodeKey)
            : Replica(restoring: records, config: config, id: replicaID, key: settings.nodeKey)
        published = NIOLockedValueBox(
            Published(
                status: NodeCore.emptyStatus(settings),
                transactions: TransactionIndex(capacity: settings.transactionIndexMax)))
        logger.info(
            "replica restored",
            metadata: ["records": "\(records.count)", "view": "\(replica.view)", "height": "\((try? ledger.height()) ?? 0)"])
        resumeUnattestedJobs()
        publish()
    }

    /// After a restart: the jobs still open that this node has not attested (it crashed
    /// before its attestation was committed) are run again. A job's result is
    /// deterministic, so the attestation is the one it would have sent.
    private func resumeUnattestedJobs() {
        for job in (try? ledger.unsettledJobs()) ?? [] where job.status == .pending {
            let attested = ((try? ledger.attestations(jobID: job.id)) ?? []).contains {
                $0.signed.attestation.nodeKey == settings.nodeKey.publicKey
            }
            if !attested { scheduleJob(job.id) }
        }
    }

    /// The consensus configuration every node derives the same way from genesis: the
    /// replicas are the genesis validators' node keys, in genesis order.
    static func consensusConfig(genesis: Genesis, tuning: ConsensusTuning) -> Config {
        Config(
            chainID: Digest.sha256(genesis.chainID), epoch: 0, replicas: genesis.validators.map(\.nodeKey),
            checkpointInterval: tuning.checkpointInterval, windowSize: tuning.windowSize,
            batchSizeMax: tuning.batchSizeMax, batchDelayTicks: tuning.batchDelayTicks,
            viewChangeTimeoutTicks: tuning.viewChangeTimeoutTicks, retransmitTicks: tuning.retransmitTicks,
            pendingRequestsMax: tuning.pendingRequestsMax,
            emptyBatchTicks: tuning.emptyBatchTicks == 0 ? nil : tuning.emptyBatchTicks)
    }

    // MARK: inputs

    /// Handles a group of inputs as one: the votes of all of them are persisted with one
    /// fsync, and only then are their messages sent (persist before send, amortized).
    func handle(_ inputs: [NodeInput]) {
        for input in inputs {
            switch input {
            case .peer(let from, let bytes): handlePeer(from: from, bytes: bytes)
            case .client(let request): submit(request, relay: true)
            case .tick: handleTick()
            case .jobFinished(let jobID, let result): jobFinished(jobID: jobID, result: result)
            }
        }
        updateProgressWanted()
        flushPersisted()
        flushOutbox()
        publish()
    }

    /// Tells the replica whether a job waits on later heights, after the ledger moved.
    func updateProgressWanted() {
        guard ledgerMoved else { return }
        ledgerMoved = false
        let wanted: Bool
        do { wanted = try ledger.hasUnsettledJobs() } catch {
            logger.error("reading unsettled jobs failed", metadata: ["error": "\(error)"])
            return
        }
        step(.progressWanted(wanted))
    }

    private func handleTick() {
        ticks += 1
        step(.tick)
        if ticks % settings.retryTicks == 0 {
            blobWaits.retry(network: network)
            resubmitStaleAttestations()
            resendOwnRequests()
        }
    }

    /// Resends this node's clients' requests that waited several retry periods: a
    /// request lost on its way to the primary would otherwise stay pending until a
    /// later one of the same account overtakes it and it can never execute. One that
    /// was overtaken is marked refused, so that its client knows to sign it again.
    private func resendOwnRequests() {
        for (key, own) in ownRequests {
            guard replica.isFresh(key) else {
                ownRequests[key] = nil
                let id = NodeCore.transactionID(own.request)
                let reason = "a later nonce of this account was ordered first; sign it again with a higher nonce"
                published.withLockedValue { published in
                    if case .pending? = published.transactions[id] { published.transactions.set(id, .refused(reason: reason)) }
                }
                continue
            }
            guard ticks - own.sentTick >= 4 * settings.retryTicks else { continue }
            ownRequests[key]?.sentTick = ticks
            network.broadcast(PeerMessage.request(own.request).wireBytes)
        }
    }

    private func handlePeer(from peer: PublicKey, bytes: [UInt8]) {
        let message: PeerMessage
        do { message = try PeerMessage.decode(wireBytes: bytes) } catch {
            malformedPeerMessages += 1
            logger.debug("malformed peer message", metadata: ["from": "\(peer.short)", "error": "\(error)"])
            return
        }
        switch message {
        case .consensus(let consensus):
            do { try validator.validate(consensus) } catch {
                invalidPeerMessages += 1
                logger.debug("invalid consensus message", metadata: ["from": "\(peer.short)", "error": "\(error)"])
                return
            }
            step(.message(consensus))
        case .request(let request):
            do { try validator.validate(request: request) } catch {
                invalidPeerMessages += 1
                return
            }
            submit(request, relay: false)
        case .blobRequest(let digest): serveBlob(digest, to: peer)
        case .blobResponse(let digest, let bytes): receiveBlob(digest, bytes: bytes)
        case .stateRequest(let sequence): serveState(sequence, to: peer)
        case .stateResponse(let sequence, let archive): receiveState(sequence, archive: archive)
        }
    }

    /// A validated client request: into the local replica, and to every other replica
    /// when it came from a client of this node (so a censoring primary is noticed).
    func submit(_ request: ClientRequest, relay: Bool) {
        guard relay else {
            step(.request(request))
            return
        }
        let id = NodeCore.transactionID(request)
        if let reason = refusal(of: request) {
            published.withLockedValue { $0.transactions.setIfUnordered(id, .refused(reason: reason)) }
            return
        }
        if ownRequests.count < config.pendingRequestsMax { ownRequests[request.key] = (request, ticks) }
        arrivals[request.key] = ContinuousClock.now
        if arrivals.count > settings.transactionIndexMax { arrivals.removeAll() }
        network.broadcast(PeerMessage.request(request).wireBytes)
        published.withLockedValue { $0.transactions.setIfUnordered(id, .pending) }
        step(.request(request))
    }

    /// Why a request of this node's own client can never be ordered from here, or nil:
    /// said to the client rather than dropped by the replica without a word.
    private func refusal(of request: ClientRequest) -> String? {
        if !replica.isFresh(request.key) {
            return "nonce \(request.timestamp) is not above the last nonce ordered for this account; "
                + "sign it again with a higher nonce"
        }
        if replica.refusesRequest(request.key) {
            return "\(replica.pendingRequestCount) requests already pending; submit it again later"
        }
        return nil
    }

    static func transactionID(_ request: ClientRequest) -> Digest {
        SignedTransaction(sender: request.client, nonce: request.timestamp, body: request.operation, signature: request.signature).id
    }

    // MARK: the replica

    /// Steps the replica and performs its actions (see `perform`).
    func step(_ event: Event) {
        var events = [event]
        while !events.isEmpty {
            let next = events.removeFirst()
            let actions = replica.step(next)
            events.append(contentsOf: perform(actions))
        }
    }

    /// Performs the replica's actions in order. Records wait in `unsaved` and messages in
    /// `outbox` until the group ends; a delivery first makes every earlier record durable,
    /// since executing a batch relies on this replica's prepare and commit for it.
    private func perform(_ actions: [Action]) -> [Event] {
        var followUps: [Event] = []
        for action in actions {
            switch action {
            case .persist(let record):
                unsaved.append(record)
            case .send(let message, let to):
                outbox.append((PeerMessage.consensus(message).wireBytes, config.replicas[Int(to)]))
            case .broadcast(let message):
                outbox.append((PeerMessage.consensus(message).wireBytes, nil))
            case .deliver(let sequence, let requests):
                flushPersisted()
                if let followUp = deliver(sequence: sequence, requests: requests) { followUps.append(followUp) }
            case .fetchState(let sequence, _):
                logger.info("behind the stable checkpoint; fetching state", metadata: ["sequence": "\(sequence)"])
                outbox.append((PeerMessage.stateRequest(sequence: sequence).wireBytes, nil))
            }
        }
        return followUps
    }

    func flushPersisted() {
        guard !unsaved.isEmpty else { return }
        do { try consensusLog.append(unsaved) } catch {
            // Without its log the node cannot keep its promise never to double-sign.
            fatalError("consensus log write failed: \(error)")
        }
        unsaved.removeAll(keepingCapacity: true)
    }

    /// Sends what the group's steps produced; only after `flushPersisted`.
    private func flushOutbox() {
        precondition(unsaved.isEmpty, "a message would leave before the vote it depends on is durable")
        for (bytes, peer) in outbox {
            if let peer { network.send(bytes, to: peer) } else { network.broadcast(bytes) }
        }
        outbox.removeAll(keepingCapacity: true)
    }

    // MARK: publishing

    func publish() {
        if replica.view != loggedView {
            loggedView = replica.view
            logger.info(
                "view changed", metadata: ["view": "\(replica.view)", "normal": "\(replica.status == .normal)"])
        }
        let height = (try? ledger.height()) ?? 0
        let status = NodeStatus(
            name: settings.name, nodeKey: settings.nodeKey.publicKey.hex, replicaID: Int(replicaID), height: height,
            view: replica.view, primary: Int(config.primary(of: replica.view)), isPrimary: replica.isPrimary,
            viewChanging: replica.status != .normal, lastExecuted: replica.lastExecuted,
            stableCheckpoint: replica.stable.sequence, stateRoot: lastCheckpointRoot.hex,
            peersConnected: network.connectedPeers.count, catchingUp: replica.stateTransfer != nil,
            inboxDropped: inbox.dropped, malformedPeerMessages: malformedPeerMessages,
            invalidPeerMessages: invalidPeerMessages, stateTransfers: stateTransfers,
            peerFramesDropped: network.stats.framesDropped, pendingRequests: replica.pendingRequestCount)
        metrics.update(status: status, counters: replica.counters)
        published.withLockedValue { $0.status = status }
    }

    static func emptyStatus(_ settings: Settings) -> NodeStatus {
        NodeStatus(
            name: settings.name, nodeKey: settings.nodeKey.publicKey.hex, replicaID: 0, height: 0, view: 0, primary: 0,
            isPrimary: false, viewChanging: false, lastExecuted: 0, stableCheckpoint: 0, stateRoot: Digest.zero.hex,
            peersConnected: 0, catchingUp: false, inboxDropped: 0, malformedPeerMessages: 0, invalidPeerMessages: 0)
    }
}
