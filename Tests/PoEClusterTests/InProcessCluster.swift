import Foundation
import Logging
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

/// Polls `condition` until it holds or `seconds` pass: the nodes run on real threads
/// and real sockets.
func eventually(seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}

/// N real nodes in this process: real TCP on loopback, real SQLite files, real
/// signatures; only the processes are shared.
final class InProcessCluster {
    let folder: URL
    let cluster: ClusterFile
    let client: PrivateKey
    var nodes: [Node?]
    var clientNonce: UInt64 = 0

    init(nodes count: Int, faults: [Int: FaultMode] = [:]) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-cluster-\(UUID().uuidString)")
        var testnet = Testnet(nodeCount: count, chainID: "test-cluster")
        let base = 30_000 + Int.random(in: 0..<300) * 100
        testnet.peerPortBase = base
        testnet.apiPortBase = base + 50
        testnet.faults = faults
        testnet.consensus.tickMilliseconds = 20
        testnet.consensus.checkpointInterval = 4
        testnet.consensus.windowSize = 16
        testnet.parameters.jobDeadlineHeightsMax = 200
        cluster = try testnet.write(to: folder)
        client = try KeyFile.read(from: cluster.clientKey)
        nodes = Array(repeating: nil, count: count)
        for index in 0..<count { try await start(index) }
    }

    func start(_ index: Int) async throws {
        var logger = Logger(label: "test.node\(index)")
        logger.logLevel = .warning
        nodes[index] = try await Node.start(home: NodeHome(path: cluster.members[index].home), logger: logger)
    }

    func stop(_ index: Int) async {
        await nodes[index]?.stop()
        nodes[index] = nil
    }

    func stopAll() async {
        for index in nodes.indices { await stop(index) }
        try? FileManager.default.removeItem(at: folder)
    }

    var running: [Node] { nodes.compactMap { $0 } }

    /// Signs `body` with the client key and submits it through node `via`.
    @discardableResult
    func submit(_ body: TransactionBody, via index: Int = 0) throws -> SignedTransaction {
        clientNonce += 1
        let transaction = SignedTransaction.make(signer: client, nonce: clientNonce, body: body)
        try nodes[index]!.submit(transaction)
        return transaction
    }

    /// Puts code and input in node `index`'s blob store only: the others must fetch them.
    func upload(_ bytes: [UInt8], to index: Int = 0) throws -> Digest {
        try nodes[index]!.blobs.put(bytes)
    }

    static func job(_ name: String) throws -> [UInt8] {
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        return [UInt8](try Data(contentsOf: root.appendingPathComponent("cluster/jobs/\(name)")))
    }
}
