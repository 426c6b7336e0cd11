public import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PBFT
public import PoECrypto
public import PoEExecutor
public import PoELedger
import PoETransport

/// A running validator: the peer port, the consensus loop on its own thread, the tick
/// timer and the job runner, all bound to one home folder. The HTTP API is served on
/// top of it (`NodeBackend`).
public final class Node: NodeBackend, Sendable {
    public let home: NodeHome
    public let config: NodeConfig
    public let genesis: Genesis
    public let blobs: BlobStore
    let core: NodeCore
    let inbox: NodeInbox
    let network: PeerNetwork
    let group: MultiThreadedEventLoopGroup
    let loopFinished: NIOLockedValueBox<Bool>
    let ticker: RepeatedTask
    let logger: Logger
    let signatures: SignatureCache

    private init(
        home: NodeHome, config: NodeConfig, genesis: Genesis, blobs: BlobStore, core: NodeCore, inbox: NodeInbox,
        network: PeerNetwork, group: MultiThreadedEventLoopGroup, loopFinished: NIOLockedValueBox<Bool>, ticker: RepeatedTask, logger: Logger
    ) {
        self.home = home
        self.config = config
        self.genesis = genesis
        self.blobs = blobs
        self.core = core
        self.inbox = inbox
        self.network = network
        self.group = group
        self.loopFinished = loopFinished
        self.ticker = ticker
        self.logger = logger
        signatures = core.signatures
    }

    /// Opens the home's files (recovering from whatever a crash left), binds the peer
    /// port and starts consensus.
    public static func start(home: NodeHome, logger: Logger) async throws -> Node {
        let config = try home.config()
        let genesis = try home.genesis()
        let nodeKey = try home.nodeKey()
        try home.createDataFolders()
        let blobs = try BlobStore(root: home.blobsFolder)
        let consensusLog = try ConsensusLog(path: home.consensusPath)
        let inbox = NodeInbox(capacity: 65_536)
        let signatures = SignatureCache()
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
            config: networkConfig,
            group: group
        ) { peer, bytes in inbox.enqueue(.peer(peer, bytes)) }
        let core = try NodeCore(
            settings: NodeCore.Settings(
                name: config.name, chainID: genesis.chainID, nodeKey: nodeKey, fault: config.fault,
                tuning: config.consensus),
            genesis: genesis, ledgerPath: home.ledgerPath, consensusLog: consensusLog, blobs: blobs,
            signatures: signatures,
            network: network, jobs: JobRunner(), inbox: inbox, logger: logger)
        try await network.start()
        let loopFinished = NIOLockedValueBox(false)
        let loop = Thread {
            while case let group = inbox.nextGroup(max: 512), !group.isEmpty { core.handle(group) }
            loopFinished.withLockedValue { $0 = true }
        }
        loop.name = "poe.node.loop"
        loop.start()
        let tick = TimeAmount.milliseconds(Int64(config.consensus.tickMilliseconds))
        let ticker = group.next().scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            inbox.enqueue(.tick)
        }
        logger.info(
            "node started",
            metadata: [
                "name": "\(config.name)", "nodeKey": "\(nodeKey.publicKey.short)", "peer": "\(config.peerListen)",
                "replica": "\(core.replicaID)",
            ])
        return Node(
            home: home, config: config, genesis: genesis, blobs: blobs, core: core, inbox: inbox, network: network,
            group: group, loopFinished: loopFinished, ticker: ticker, logger: logger)
    }

    /// Stops taking input, lets the loop finish what it holds, closes the peer port.
    public func stop() async {
        ticker.cancel()
        await network.stop()
        inbox.close()
        while !loopFinished.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        try? await group.shutdownGracefully()
        logger.info("node stopped", metadata: ["name": "\(config.name)"])
    }

    // MARK: NodeBackend

    /// The published status, with the height and state root read together from the
    /// ledger now (one read transaction), so that two nodes at one height compare.
    public var status: NodeStatus {
        var status = core.published.withLockedValue { $0.status }
        if let snapshot = try? ledger.snapshot() {
            status.height = snapshot.meta.height
            status.stateRoot = snapshot.stateRoot.hex
        }
        return status
    }
    public var ledger: Ledger { core.ledger }

    public func transactionStatus(_ id: Digest) -> TransactionStatus? {
        core.published.withLockedValue { $0.transactions[id] }
    }

    public func submit(_ transaction: SignedTransaction) throws(SubmitError) {
        guard transaction.isSignatureValid(using: signatures) else { throw .badSignature }
        let request = ClientRequest(
            client: transaction.sender, timestamp: transaction.nonce, operation: transaction.body,
            signature: transaction.signature)
        // The published count lags the loop by at most one group; a request that still
        // finds no room there is marked refused rather than accepted and lost.
        guard core.published.withLockedValue({ $0.status.pendingRequests }) < core.config.pendingRequestsMax,
            inbox.enqueue(.client(request))
        else { throw .overloaded }
    }

    public func metricsText() -> String { core.metrics.text() }
}
