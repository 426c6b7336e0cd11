public import PoEDuties
public import Foundation
public import Logging
public import PoECrypto
public import PoELedger

/// N real nodes in one process: real TCP on loopback, real SQLite files, real
/// signatures; only the process is shared. For tests and the benchmark; the harness
/// (`poe cluster`) runs one process per node instead.
public final class LocalCluster {
    public let folder: URL
    public let cluster: ClusterFile
    public let client: PrivateKey
    public let chainID: String
    public private(set) var nodes: [Node?]
    public private(set) var clientNonce: UInt64 = 0
    let logLevel: Logger.Level
    let logHandler: (@Sendable (_ label: String) -> any LogHandler)?

    /// Writes a testnet in a new temporary folder and starts every node, on a block of
    /// loopback ports of its own (`LoopbackPorts`). Node `i` logs as `local.node<i>`,
    /// through `logHandler` when given (a test that reads the log), else swift-log's default.
    public init(
        nodes count: Int, faults: [Int: FaultMode] = [:], chainID: String = "local-cluster",
        configure: (inout Testnet) -> Void = { _ in }, logLevel: Logger.Level = .warning,
        logHandler: (@Sendable (_ label: String) -> any LogHandler)? = nil
    ) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-cluster-\(UUID().uuidString)")
        var testnet = Testnet(nodeCount: count, chainID: chainID)
        let base = try LoopbackPorts.reserve(2 * count)
        testnet.peerPortBase = base
        testnet.apiPortBase = base + count
        testnet.faults = faults
        testnet.consensus.tickMilliseconds = 20
        // Half a second per idle height: a job's deadline of 20 heights is 10 s of running.
        testnet.consensus.emptyBatchTicks = 25
        testnet.consensus.checkpointInterval = 4
        testnet.consensus.windowSize = 16
        testnet.parameters.jobDeadlineHeightsMax = 200
        configure(&testnet)
        cluster = try testnet.write(to: folder)
        client = try KeyFile.read(from: cluster.clientKey)
        self.chainID = chainID
        self.logLevel = logLevel
        self.logHandler = logHandler
        nodes = Array(repeating: nil, count: count)
        for index in 0..<count { try await start(index) }
    }

    public func start(_ index: Int) async throws {
        let label = "local.\(cluster.members[index].name)"
        var logger = logHandler.map { Logger(label: label, factory: $0) } ?? Logger(label: label)
        logger.logLevel = logLevel
        nodes[index] = try await Node.start(home: NodeHome(path: cluster.members[index].home), logger: logger)
    }

    public func stop(_ index: Int) async {
        await nodes[index]?.stop()
        nodes[index] = nil
    }

    /// Stops every node and deletes the folder.
    public func shutdown() async {
        for index in nodes.indices { await stop(index) }
        try? FileManager.default.removeItem(at: folder)
    }

    public var running: [Node] { nodes.compactMap { $0 } }

    public func node(_ index: Int) -> Node {
        guard let node = nodes[index] else { preconditionFailure("node \(index) is stopped") }
        return node
    }

    /// Signs `body` with the client key (next nonce) without submitting it.
    public func sign(_ body: TransactionBody) -> SignedTransaction {
        clientNonce += 1
        return SignedTransaction.make(signer: client, nonce: clientNonce, body: body)
    }

    /// Signs `body` with the client key and submits it through node `index`.
    @discardableResult
    public func submit(_ body: TransactionBody, via index: Int = 0) throws -> SignedTransaction {
        let transaction = sign(body)
        try node(index).submit(transaction)
        return transaction
    }

    /// The ID a `submitJob` transaction gives its job.
    public func jobID(of transaction: SignedTransaction, spec: JobSpec) -> Digest {
        JobID.compute(chainID: chainID, submitter: transaction.sender, nonce: transaction.nonce, spec: spec)
    }
}
