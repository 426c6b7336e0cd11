import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import PoECrypto
import PoELedger
import PoENode
import PoETransport
import PoEWire
import Testing

/// End to end over real TCP with real processes: `poe node` per validator, driven
/// through the HTTP API, as an operator and a submitter would.
@Suite(.serialized) struct ProcessClusterTests {
    func harness(_ options: ClusterHarness.Options, _ name: String) throws -> ClusterHarness {
        var options = options
        let base = try portBase()
        options.peerPortBase = base
        options.apiPortBase = base + 50
        options.timeoutSeconds = 240
        return try ClusterHarness(options: options, folder: scratchFolder(name), executable: try poeBinary()) { _ in }
    }

    /// A job is finalized and its proof verifies offline; the node with wrong results is
    /// slashed, the honest ones are paid; the honest nodes end with one ledger root.
    @Test func jobsFinalizeTheWrongNodeIsSlashedAndTheHonestArePaid() async throws {
        var options = ClusterHarness.Options()
        options.faults = [3: .wrongResult]
        options.jobs = try quickJobs()
        let harness = try harness(options, "e2e-slash")
        let report = try await harness.run()
        #expect(report.jobs.allSatisfy { $0.agreedDigest != nil && $0.proofVerified }, "\(report.rendered)")
        #expect(report.honestRootsAgree, "\(report.rendered)")
        for validator in report.validators.prefix(3) {
            #expect(validator.bondAfter == validator.bondBefore, "\(validator.name) is honest and keeps its bond")
            #expect(validator.balanceAfter > validator.balanceBefore, "\(validator.name) is paid")
        }
        #expect(report.validators[3].bondAfter < report.validators[3].bondBefore, "the wrong node is slashed")
        #expect(report.validators[3].balanceAfter == report.validators[3].balanceBefore, "and earns nothing")
        #expect(report.passed(options: options))
        try? FileManager.default.removeItem(at: harness.folder)
    }

    /// kill -9 of a node right after the jobs are submitted; restarted, it catches up and
    /// ends with the same ledger root as the others.
    @Test func aNodeKilledAndRestartedCatchesUpToTheSameRoot() async throws {
        var options = ClusterHarness.Options()
        options.crash = 2
        options.jobs = try quickJobs().prefix(1).map { $0 }
        let harness = try harness(options, "e2e-crash")
        let report = try await harness.run()
        #expect(report.jobs.allSatisfy { $0.proofVerified }, "\(report.rendered)")
        #expect(report.honestRootsAgree, "\(report.rendered)")
        #expect(Set(report.validators.map(\.height)).count == 1)
        try? FileManager.default.removeItem(at: harness.folder)
    }

    /// Killing the primary's process leads to a view change, and jobs keep finalizing.
    @Test func killingThePrimaryLeadsToAViewChangeAndJobsKeepFinalizing() async throws {
        let (processes, clients) = try await startLinked(chainID: "e2e-primary")
        let primary = try await clients[1].status().primary
        processes.kill(primary)
        let survivor = clients[(primary + 1) % 4]
        let client = try KeyFile.read(from: processes.cluster.clientKey)
        let job = try quickJobs()[0]
        let code = try await survivor.uploadBlob(job.code, signedBy: client)
        let input = try await survivor.uploadBlob(job.input, signedBy: client)
        let spec = JobSpec(
            code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: job.fuelLimit, memoryLimitPages: 256,
            deadlineHeights: 1_000)
        _ = try await survivor.submit(SignedTransaction.make(signer: client, nonce: 1, body: .submitJob(spec: spec, fee: 300)))
        let jobID = JobID.compute(chainID: "e2e-primary", submitter: client.publicKey, nonce: 1, spec: spec)
        #expect(try await eventually(seconds: 120) { (try? await survivor.job(jobID))?.agreedDigest != nil })
        let view = try await survivor.status().view
        #expect(view >= 1, "the survivors replaced the dead primary")
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.folder)
    }

    /// Garbage and an unknown key on the peer port, bad requests on the API: each gets a
    /// clear refusal, the node stays up, and the ledger does not change.
    @Test func badInputOnBothPortsIsRefusedAndChangesNothing() async throws {
        let (processes, clients) = try await startLinked(chainID: "e2e-bad-input")
        let before = try await clients[0].status()
        let peerPort = try parseHostPort(processes.cluster.members[0].peer, field: "peer").port

        // Peer port: a frame longer than the maximum, then random bytes.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        for junk in [[0xff, 0xff, 0xff, 0xff, 1, 2, 3], Array(repeating: UInt8(0x41), count: 64)] as [[UInt8]] {
            let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: peerPort).get()
            var buffer = channel.allocator.buffer(capacity: junk.count)
            buffer.writeBytes(junk)
            try await channel.writeAndFlush(buffer)
            #expect(try await eventually(seconds: 10) { !channel.isActive }, "the node closes the connection")
        }
        // Peer port: a well-formed handshake from a key that is not a validator.
        let stranger = PrivateKey.generate()
        #expect(
            try await handshakeIsRefused(
                key: stranger, chainID: "e2e-bad-input", peer: processes.cluster.members[0].nodeKey, port: peerPort,
                group: group))
        try await group.shutdownGracefully()

        // API: malformed transaction bytes, a bad signature, a bad hex ID, an unknown job.
        let node = clients[0]
        #expect(try await rawPost("http://\(processes.cluster.members[0].api)/transactions", [1, 2, 3]) == 400)
        var forged = SignedTransaction.make(
            signer: stranger, nonce: 1, body: .transfer(to: stranger.publicKey, amount: 5))
        forged.nonce = 2
        await expectHTTPError(400) { _ = try await node.submit(forged) }
        await expectHTTPError(404) { _ = try await node.job(Digest.sha256("no such job")) }

        let after = try await clients[0].status()
        #expect(after.height == before.height, "nothing was committed")
        #expect(after.stateRoot == before.stateRoot)
        #expect(processes.isRunning(0), "the node is still up")
        #expect(after.peersConnected == 3, "its real links are untouched")
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.folder)
    }
}

/// Four `poe node` processes of a new testnet, started and linked to each other.
func startLinked(chainID: String) async throws -> (ProcessCluster, [NodeClient]) {
    let base = try portBase()
    var testnet = Testnet(nodeCount: 4, chainID: chainID)
    testnet.peerPortBase = base
    testnet.apiPortBase = base + 50
    testnet.consensus.tickMilliseconds = 20
    let processes = try ProcessCluster(folder: scratchFolder(chainID), testnet: testnet, executable: try poeBinary())
    try processes.startAll()
    let clients = try processes.cluster.members.map { try NodeClient(baseURL: "http://\($0.api)", timeoutSeconds: 5) }
    try #require(try await eventually(seconds: 60) { await allLinked(clients) }, "the nodes never linked")
    return (processes, clients)
}

func allLinked(_ clients: [NodeClient]) async -> Bool {
    for client in clients {
        guard let status = try? await client.status(), status.peersConnected == clients.count - 1 else { return false }
    }
    return true
}

func expectHTTPError(_ code: Int, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected HTTP \(code), the call succeeded")
    } catch let error as NodeClientError {
        guard case .http(let status, _, _) = error else {
            Issue.record("expected HTTP \(code), got \(error)")
            return
        }
        #expect(status == code, "\(error)")
    } catch {
        // The bytes never made it to a request: not what this expectation is about.
        Issue.record("expected HTTP \(code), got \(error)")
    }
}

/// POSTs raw bytes and returns the status code.
func rawPost(_ url: String, _ body: [UInt8]) async throws -> Int {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/octet-stream")
    request.body = .bytes(ByteBuffer(bytes: body))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    return Int(response.status.code)
}

/// Opens a TCP connection to a peer port and offers a well-formed handshake from `key`;
/// true when the node closes the link without authenticating itself.
func handshakeIsRefused(
    key: PrivateKey, chainID: String, peer: PublicKey, port: Int, group: any EventLoopGroup
) async throws -> Bool {
    let handshake = LinkHandshake(role: .initiator, nodeKey: key, chainID: chainID, expectedPeer: peer, isKnown: { _ in true })
    let received = FrameCounter()
    let channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(frameBytesMax: 1 << 20)))
                try channel.pipeline.syncOperations.addHandler(received)
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    var buffer = channel.allocator.buffer(capacity: 256)
    FrameDecoder.writeFrame(handshake.helloFrame, into: &buffer)
    try await channel.writeAndFlush(buffer)
    let closed = try await eventually(seconds: 10) { !channel.isActive }
    // The node sends its own hello when the connection opens, and nothing after it.
    return closed && received.count <= 1
}

final class FrameCounter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private(set) var count = 0
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { count += 1 }
}
