import NIOCore
import NIOPosix
import PoECrypto
import Testing

@testable import PoETransport

/// A node with no peers on a loopback port, for connections that never authenticate.
struct LoneNode {
    let network: PeerNetwork
    let port: Int
    let events: EventLog
    let group: MultiThreadedEventLoopGroup

    /// The handshake deadline is the longest allowed unless `tune` sets it: a full test
    /// run can starve a test's task for seconds, and a connection it opened must not be
    /// closed by the deadline before the test gets to what it checks.
    static func start(_ tune: (inout PeerNetworkConfig) -> Void = { _ in }) async throws -> LoneNode {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let events = EventLog()
        let (network, port) = try await startOnFreePort { port in
            var config = PeerNetworkConfig(
                nodeKey: PrivateKey.deterministic(seed: "lone"), chainID: "test-chain", peers: [:],
                listen: PeerAddress(host: "127.0.0.1", port: port))
            config.handshakeTimeoutMilliseconds = PeerNetworkConfig.handshakeTimeoutMillisecondsMax
            tune(&config)
            return PeerNetwork(config: config, group: group, onMessage: { _, _ in }) { events.add($0) }
        }
        return LoneNode(network: network, port: port, events: events, group: group)
    }

    /// A plain TCP connection to the node, from `source` (any address of 127/8 is loopback).
    /// `firstBytes` are written by the event loop the moment the connection is up, so they
    /// reach the node before any deadline of its, however long the test's task waits.
    func connect(from source: String = "127.0.0.1", firstBytes: [UInt8] = []) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if !firstBytes.isEmpty { try channel.pipeline.syncOperations.addHandler(SendOnActive(firstBytes)) }
                }
            }
            .bind(to: SocketAddress(ipAddress: source, port: 0))
            .connect(host: "127.0.0.1", port: port).get()
    }

    func stop() async throws {
        await network.stop()
        try await group.shutdownGracefully()
    }
}

/// Writes its bytes as soon as the connection is active; the node may close before the
/// write completes.
final class SendOnActive: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        context.fireChannelActive()
    }
}

/// The attack that found these bounds: a 4 MiB length prefix, then bytes, never a handshake.
let oversizedFrame: [UInt8] = withUnsafeBytes(of: UInt32(4 << 20).bigEndian, Array.init)
    + [UInt8](repeating: 0xAB, count: 65_536)

@Suite(.serialized) struct PeerPortAbuseTests {
    @Test func oversizedPrefixBeforeTheHandshakeClosesTheConnection() async throws {
        // The prefix leaves with the connection, and the deadline is a minute away, so only
        // the prefix can close it: in a full test run whose task waited minutes between
        // connecting and writing, the deadline once closed it first.
        let node = try await LoneNode.start()
        let raw = try await node.connect(firstBytes: oversizedFrame)
        // Without the 4 MiB body, and for the prefix, not the deadline.
        #expect(try await eventually(seconds: 30) { !raw.isActive })
        #expect(try await eventually(seconds: 30) { node.network.stats.handshakesRefused(.oversizedFrame) == 1 })
        #expect(node.network.stats.handshakesInProgress == 0)
        #expect(node.network.stats.handshakesRefused == 1)
        try await node.stop()
    }

    @Test func idleConnectionIsClosedAtTheDeadline() async throws {
        let node = try await LoneNode.start { $0.handshakeTimeoutMilliseconds = 200 }
        let opened = ContinuousClock.now
        let raw = try await node.connect()
        #expect(try await eventually(seconds: 3) { !raw.isActive })
        #expect(ContinuousClock.now - opened >= .milliseconds(200))
        #expect(try await eventually(seconds: 1) { node.network.stats.handshakesRefused(.timeout) == 1 })
        #expect(node.network.stats.handshakesInProgress == 0)
        try await node.stop()
    }

    /// Reported after the close, when the channel no longer knows its address.
    @Test func remoteThatLeavesMidHandshakeIsCountedAndNamed() async throws {
        let node = try await LoneNode.start()
        let raw = try await node.connect()
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 1 })
        let local = try #require(raw.localAddress?.port)
        try await raw.close()
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesRefused(.abandoned) == 1 })
        #expect(node.network.stats.handshakesInProgress == 0)
        // Closed or reset, depending on whether the node's Hello was read first.
        guard case .handshakeRefused(let remote, .abandoned, _) = try #require(node.events.all.first) else {
            Issue.record("expected an abandoned handshake, got \(node.events.all)")
            return
        }
        #expect(remote == "127.0.0.1:\(local)")
        #expect(node.events.all.count == 1)
        try await node.stop()
    }

    @Test func perAddressCapRefusesTheNextConnectionFromThatAddress() async throws {
        let node = try await LoneNode.start { $0.handshakesPerAddressMax = 2 }
        let first = try await node.connect()
        let second = try await node.connect()
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 2 })
        let third = try await node.connect()
        #expect(try await eventually(seconds: 2) { !third.isActive })
        #expect(node.network.stats.handshakesRefused(.tooManyFromAddress) == 1)
        #expect(first.isActive && second.isActive, "the admitted ones keep their handshake time")
        let elsewhere = try await node.connect(from: "127.0.0.2")
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 3 })
        #expect(elsewhere.isActive, "another address has its own slots")
        try await first.close()
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 2 })
        let fourth = try await node.connect()
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 3 })
        #expect(fourth.isActive, "a closed connection frees its slot")
        #expect(node.network.stats.connectionsAccepted == 5)
        try await node.stop()
    }

    @Test func totalCapRefusesTheNextConnectionFromAnyAddress() async throws {
        let node = try await LoneNode.start {
            $0.handshakesInProgressMax = 3
            $0.handshakesPerAddressMax = 2
        }
        var admitted: [any Channel] = []
        for source in ["127.0.0.1", "127.0.0.1", "127.0.0.2"] { admitted.append(try await node.connect(from: source)) }
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesInProgress == 3 })
        let refused = try await node.connect(from: "127.0.0.3")
        #expect(try await eventually(seconds: 2) { !refused.isActive })
        #expect(node.network.stats.handshakesRefused(.tooManyInHandshake) == 1)
        #expect(node.network.stats.handshakesRefused(.tooManyFromAddress) == 0)
        #expect(admitted.allSatisfy { $0.isActive })
        try await node.stop()
    }

    /// The counters are exact; the events are at most one per reason per interval,
    /// then a summary of what was held back.
    @Test func refusalEventsAreRateLimitedAndCountsStayExact() async throws {
        let node = try await LoneNode.start { $0.refusalEventIntervalMilliseconds = 1_000 }
        for _ in 0..<5 { _ = try await node.connect(firstBytes: oversizedFrame) }
        #expect(try await eventually(seconds: 2) { node.network.stats.handshakesRefused(.oversizedFrame) == 5 })

        func reported() -> (events: Int, summarized: Int) {
            var events = 0
            var summarized = 0
            for event in node.events.all {
                switch event {
                case .handshakeRefused(_, .oversizedFrame, _): events += 1
                case .handshakeRefusalsSuppressed(.oversizedFrame, let count): summarized += count
                case .handshakeRefused, .handshakeRefusalsSuppressed, .linkUp, .linkDown:
                    Issue.record("unexpected event \(event)")
                }
            }
            return (events, summarized)
        }
        #expect(try await eventually(seconds: 3) { reported().events + reported().summarized == 5 })
        #expect(reported().events < 5, "five refusals within a second are not five events")
        #expect(node.network.stats.refusalEventsSuppressed == reported().summarized)
        try await node.stop()
    }
}
