public import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PBFT
public import PoECrypto
import PoEDuties
public import PoEExecutor
public import PoELedger
public import PoENodeCore
import PoETransport

/// A running validator: the peer port, the consensus loop on its own thread, the tick
/// timer and the job runner, all bound to one home folder. The HTTP API is served on
/// top of it (`NodeBackend`).
public final class Node: NodeBackend, Sendable {
    public let home: NodeHome
    public let config: NodeConfig
    public let genesis: Genesis
    public let blobs: BlobStore
    public let blobUploads: BlobUploads
    let janitorStop: NIOLockedValueBox<JanitorRun>
    let core: NodeCore
    let environment: LiveEnvironment
    let inbox: NodeInbox
    let network: PeerNetwork
    let group: MultiThreadedEventLoopGroup
    let loopFinished: NIOLockedValueBox<Bool>
    let ticker: RepeatedTask
    let memoryTrim: RepeatedTask
    let logger: Logger
    let signatures: SignatureCache
    /// The other validators' node keys, in genesis order (for `peers`).
    let peerKeys: [PublicKey]

    private init(
        home: NodeHome, config: NodeConfig, genesis: Genesis, blobs: BlobStore, blobUploads: BlobUploads,
        janitorStop: NIOLockedValueBox<JanitorRun>, core: NodeCore, environment: LiveEnvironment, inbox: NodeInbox, network: PeerNetwork, group: MultiThreadedEventLoopGroup,
        loopFinished: NIOLockedValueBox<Bool>, ticker: RepeatedTask, memoryTrim: RepeatedTask, logger: Logger, signatures: SignatureCache,
        peerKeys: [PublicKey]
    ) {
        self.home = home
        self.config = config
        self.genesis = genesis
        self.blobs = blobs
        self.blobUploads = blobUploads
        self.janitorStop = janitorStop
        self.core = core
        self.environment = environment
        self.inbox = inbox
        self.network = network
        self.group = group
        self.loopFinished = loopFinished
        self.ticker = ticker
        self.memoryTrim = memoryTrim
        self.logger = logger
        self.signatures = signatures
        self.peerKeys = peerKeys
    }

    /// Signatures remembered as verified: seconds of them even at the benchmark's
    /// thousands of transactions a second, far longer than a copy takes to arrive by
    /// another path (the API, the primary's batch, the ledger), in a table of 2 MiB
    /// allocated at start.
    static let signatureCacheCapacity = 1 << 16
    /// The inbox's bounds: inputs, and bytes (a peer frame may be 4 MiB).
    static let inboxCapacity = 65_536
    static let inboxBytesMax = 256 << 20

    /// Opens the home's files (recovering from whatever a crash left), binds the peer
    /// port and starts consensus.
    public static func start(home: NodeHome, logger: Logger) async throws -> Node {
        let config = try home.config()
        MemoryTrim.configureMalloc()
        var logger = logger
        // Every line says which node it is from, for logs gathered from several nodes.
        logger[metadataKey: "node"] = "\(config.name)"
        let genesis = try home.genesis()
        let nodeKey = try home.nodeKey()
        for line in try home.prepareDataFiles() { logger.notice("\(line)") }
        let blobs = try BlobStore(root: home.blobsFolder)
        // Starts at zero: the janitor's first sweep, at once, measures the store.
        let blobUploads = BlobUploads(limits: config.blobs ?? BlobLimits(), storeCharged: 0)
        let consensusLog = try ConsensusLog(path: home.consensusPath)
        let checkpointFiles = try CheckpointFiles(folder: home.checkpointsFolder)
        let inbox = NodeInbox(capacity: Node.inboxCapacity, bytesMax: Node.inboxBytesMax)
        let signatures = SignatureCache(capacity: Node.signatureCacheCapacity)
        let peerListen = try parseHostPort(config.peerListen, field: "peerListen")
        var peers: [PublicKey: PeerAddress] = [:]
        for validator in genesis.validators where validator.nodeKey != nodeKey.publicKey {
            let address = try parseHostPort(validator.endpoint, field: "genesis endpoint of \(validator.nodeKey.short)")
            peers[validator.nodeKey] = PeerAddress(host: address.host, port: address.port)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var networkConfig = PeerNetworkConfig(
            nodeKey: nodeKey, chainID: genesis.chainID, peers: peers,
            listen: PeerAddress(host: peerListen.host, port: peerListen.port))
        if let frames = config.peerBacklogFramesMax { networkConfig.backlogFramesMax = frames }
        let network = PeerNetwork(
            config: networkConfig, group: group, onMessage: { peer, bytes in inbox.enqueue(.peer(peer, bytes)) },
            events: { [logger] event in Node.log(event, logger) })
        let metrics = NodeMetrics(replicaCount: genesis.validators.count)
        let ledger = try Ledger.open(path: home.ledgerPath, genesis: genesis, signatures: signatures)
        let jobRunner = JobRunner(slots: config.jobRunnerSlots ?? ProcessInfo.processInfo.activeProcessorCount)
        let environment = try LiveEnvironment(
            network: network, consensusLog: consensusLog, checkpointFiles: checkpointFiles, blobStore: blobs,
            jobRunner: jobRunner, inbox: inbox, metrics: metrics, activity: ActivityHistory(), ledger: ledger,
            logger: logger, profileName: genesis.parameters.executionProfile, profilesAllowed: config.executionProfiles)
        let core: NodeCore
        do {
            core = try NodeCore(
                settings: NodeCore.Settings(
                    name: config.name, duties: Duties.Settings(chainID: genesis.chainID, fault: config.fault)),
                genesis: genesis, config: Node.consensusConfig(genesis: genesis, tuning: config.consensus),
                nodeKey: nodeKey, ledger: ledger, restoring: try consensusLog.load(), signatures: signatures,
                environment: environment)
        } catch {
            throw NodeHomeError.invalidConfig("\(error)")
        }
        try await network.start()
        // A real environment never halts the core: its failures end the process.
        try? core.start()
        let loopFinished = NIOLockedValueBox(false)
        let reports = CounterReports(logger: logger)
        let loop = Thread {
            while case let group = inbox.nextGroup(max: 512), !group.isEmpty {
                try? core.handle(group)
                // The replica's and the interpreter's counters are read here, on the only
                // thread that touches them.
                let readings = NodeReadings(
                    status: Node.status(core: core, network: network, inbox: inbox, uploads: blobUploads), replica: core.replica.counters,
                    core: core.counters, peers: network.stats, jobsQueued: jobRunner.queuedCount,
                    heap: MemoryTrim.lastUsage.withLock { $0 })
                metrics.update(readings)
                reports.check(readings)
            }
            loopFinished.withLockedValue { $0 = true }
        }
        loop.name = "poe.node.loop"
        loop.start()
        let janitor = BlobJanitor(store: blobs, ledger: ledger, uploads: blobUploads, logger: logger)
        let janitorStop = janitor.start(everySeconds: config.blobs?.sweepSeconds ?? BlobLimits().sweepSeconds)
        let tick = TimeAmount.milliseconds(Int64(config.consensus.tickMilliseconds))
        let ticker = group.next().scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            inbox.enqueue(.tick)
        }
        let memoryTrim = MemoryTrim.start(on: group.next())
        logger.info(
            "node started",
            metadata: [
                "nodeKey": "\(nodeKey.publicKey.short)", "listen": "\(config.peerListen)", "replica": "\(core.replicaID)",
                "statusPage": "http://\(config.apiListen)/",
            ])
        return Node(
            home: home, config: config, genesis: genesis, blobs: blobs, blobUploads: blobUploads,
            janitorStop: janitorStop, core: core, environment: environment, inbox: inbox, network: network, group: group, loopFinished: loopFinished, ticker: ticker, memoryTrim: memoryTrim, logger: logger,
            signatures: signatures,
            peerKeys: genesis.validators.map(\.nodeKey).filter { $0 != nodeKey.publicKey })
    }

    /// Link events at info (validators cause them, at the pace of the redial backoff);
    /// refusals at warning (the transport limits them per reason, since anyone can
    /// connect).
    static func log(_ event: PeerEvent, _ logger: Logger) {
        switch event {
        case .linkUp(let peer, let remote):
            logger.info("peer link up", metadata: ["peer": "\(peer.short)", "remote": "\(remote)"])
        case .linkDown(let peer, let reason):
            logger.info("peer link down", metadata: ["peer": "\(peer.short)", "reason": "\(reason)"])
        case .handshakeRefused(let remote, let reason, let detail):
            logger.warning(
                "peer handshake refused", metadata: ["remote": "\(remote)", "reason": "\(reason.rawValue)", "detail": "\(detail)"])
        case .handshakeRefusalsSuppressed(let reason, let count):
            logger.warning(
                "peer handshakes refused, not logged one by one", metadata: ["reason": "\(reason.rawValue)", "count": "\(count)"])
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

    /// Stops taking input, lets the loop finish what it holds, closes the peer port.
    public func stop() async {
        ticker.cancel()
        memoryTrim.cancel()
        await BlobJanitor.stop(janitorStop)
        await network.stop()
        inbox.close()
        environment.jobRunner.close()
        while !loopFinished.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        try? await group.shutdownGracefully()
        logger.info("node stopped")
    }

    // MARK: NodeBackend

    /// The status the loop published, with the shell's own counters: constant time, it
    /// never reads the ledger.
    public var status: NodeStatus { Node.status(core: core, network: network, inbox: inbox, uploads: blobUploads) }

    static func status(core: NodeCore, network: PeerNetwork, inbox: NodeInbox, uploads: BlobUploads) -> NodeStatus {
        var status = core.status
        let blobUsage = uploads.usage
        status.blobStoreBytes = blobUsage.storeCharged
        status.blobUploadsPending = blobUsage.pendingUploads
        status.blobUploadsRefused = blobUsage.refusedTotal
        status.blobsDeleted = blobUsage.deletedTotal
        status.peersConnected = network.connectedPeers.count
        status.inboxDropped = inbox.dropped
        status.inboxQueuedBytes = inbox.queued.bytes
        let peerStats = network.stats
        status.peerFramesDropped = peerStats.framesDropped
        status.peerQueuedBytes = peerStats.queuedBytes
        status.handshakesRefused = peerStats.handshakesRefused
        status.handshakesInProgress = peerStats.handshakesInProgress
        status.peerLinksLost = peerStats.linksLost
        return status
    }
    public var ledger: Ledger { core.ledger }

    public func transactionStatus(_ id: Digest) -> TransactionStatus? { core.transactionStatus(id) }

    public func submit(_ transaction: SignedTransaction) throws(SubmitError) {
        guard transaction.isSignatureValid(using: signatures) else { throw .badSignature }
        let request = ClientRequest(
            client: transaction.sender, timestamp: transaction.nonce, operation: transaction.body,
            signature: transaction.signature)
        // The published count lags the loop by at most one group; a request that still
        // finds no room there is marked refused rather than accepted and lost.
        guard core.status.pendingRequests < core.config.pendingRequestsMax else { throw .overloaded }
        // Pending from the moment it is accepted: a client that asks at once must not hear
        // "not seen". The loop may still refuse it, and then says why.
        core.noteAccepted(transaction.id)
        guard inbox.enqueue(.client(request)) else {
            core.noteRefused(transaction.id, reason: SubmitError.overloaded.description)
            throw .overloaded
        }
        environment.metrics.noteArrival(request.key)
    }

    public func metricsText() -> String { environment.metrics.text() }

    public var requestMetrics: APIRequestMetrics { environment.metrics.requests }

    public var peers: [PeerInfo] {
        let linked = network.connectedPeers
        return peerKeys.map { PeerInfo(nodeKey: $0.hex, linked: linked.contains($0)) }
    }

    public func activity(seconds: Int) -> ActivityResponse { environment.activity.response(seconds: seconds) }
}
