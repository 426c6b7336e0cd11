import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PoECrypto
import PoEWire
import Testing

@testable import PoETransport

/// Collects what a node receives, for assertions.
final class Inbox: Sendable {
    private let messages = NIOLockedValueBox<[(PublicKey, [UInt8])]>([])
    var all: [(PublicKey, [UInt8])] { messages.withLockedValue { $0 } }
    func add(_ peer: PublicKey, _ message: [UInt8]) { messages.withLockedValue { $0.append((peer, message)) } }
    func contains(_ message: [UInt8], from peer: PublicKey) -> Bool { all.contains { $0.0 == peer && $0.1 == message } }
}

/// Collects what a network reports.
final class EventLog: Sendable {
    private let events = NIOLockedValueBox<[PeerEvent]>([])
    var all: [PeerEvent] { events.withLockedValue { $0 } }
    func add(_ event: PeerEvent) { events.withLockedValue { $0.append(event) } }
}

/// Polls `condition` for up to `seconds`: TCP is real, so delivery takes a moment.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Listening ports for tests, in 10000..<30000: below the kernel's ephemeral range,
/// which outgoing connections draw from (and where port 0 would land), so a test never
/// races a dial for its port. Starts at a random point so that two test processes
/// rarely probe the same ports.
enum TestPorts {
    static let range = 10_000..<30_000
    private static let cursor = NIOLockedValueBox(Int.random(in: 0..<20_000))

    static func next() -> Int {
        cursor.withLockedValue { cursor in
            defer { cursor = (cursor + 1) % range.count }
            return range.lowerBound + cursor
        }
    }
}

/// Starts the network `make` builds for a port, on ports from `TestPorts` until one binds.
func startOnFreePort(_ make: (Int) -> PeerNetwork) async throws -> (PeerNetwork, Int) {
    var lastError: (any Error)?
    for _ in 0..<50 {
        let network = make(TestPorts.next())
        do { return (network, try await network.start()) } catch { lastError = error }
    }
    throw lastError!
}

/// Three real nodes on loopback. Started largest key first: a node dials only larger
/// keys, so every address it dials is already bound.
struct Cluster {
    let keys: [PrivateKey]
    var ports: [PublicKey: Int] = [:]
    var networks: [PublicKey: PeerNetwork] = [:]
    var inboxes: [PublicKey: Inbox] = [:]
    var events: [PublicKey: EventLog] = [:]
    let group: MultiThreadedEventLoopGroup

    init(size: Int, group: MultiThreadedEventLoopGroup) {
        keys = (0..<size).map { PrivateKey.deterministic(seed: "node-\($0)") }
            .sorted { $0.publicKey > $1.publicKey }
        self.group = group
    }

    func config(for key: PrivateKey, port: Int) -> PeerNetworkConfig {
        var peers: [PublicKey: PeerAddress] = [:]
        for other in keys where other.publicKey != key.publicKey {
            peers[other.publicKey] = PeerAddress(host: "127.0.0.1", port: ports[other.publicKey] ?? 1)
        }
        var config = PeerNetworkConfig(
            nodeKey: key, chainID: "test-chain", peers: peers, listen: PeerAddress(host: "127.0.0.1", port: port))
        config.reconnectDelayMin = .milliseconds(20)
        config.reconnectDelayMax = .milliseconds(200)
        return config
    }

    /// Starts `key`'s node on `port`, or on a free test port.
    mutating func start(_ key: PrivateKey, port: Int? = nil) async throws {
        let inbox = inboxes[key.publicKey] ?? Inbox()
        let log = events[key.publicKey] ?? EventLog()
        let make = { [self] (port: Int) in
            PeerNetwork(config: config(for: key, port: port), group: group, onMessage: { inbox.add($0, $1) }) {
                log.add($0)
            }
        }
        let network: PeerNetwork
        let bound: Int
        if let port {
            network = make(port)
            bound = try await network.start()
        } else {
            (network, bound) = try await startOnFreePort(make)
        }
        ports[key.publicKey] = bound
        networks[key.publicKey] = network
        inboxes[key.publicKey] = inbox
        events[key.publicKey] = log
    }

    mutating func startAll() async throws {
        for key in keys { try await start(key) }
    }

    func allConnected() -> Bool {
        networks.values.allSatisfy { $0.connectedPeers.count == keys.count - 1 }
    }

    func stopAll() async {
        for network in networks.values { await network.stop() }
    }
}

@Suite(.serialized) struct PeerNetworkTests {
    @Test func nodesConnectAndExchangeMessagesBothWays() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 3, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        for key in cluster.keys {
            cluster.networks[key.publicKey]!.broadcast(Array("from \(key.publicKey.short)".utf8))
        }
        #expect(
            try await eventually {
                cluster.keys.allSatisfy { receiver in
                    cluster.keys.filter { $0.publicKey != receiver.publicKey }.allSatisfy { sender in
                        cluster.inboxes[receiver.publicKey]!.contains(
                            Array("from \(sender.publicKey.short)".utf8), from: sender.publicKey)
                    }
                }
            })
        for key in cluster.keys {
            let ups = cluster.events[key.publicKey]!.all.filter { if case .linkUp = $0 { return true } else { return false } }
            #expect(ups.count == cluster.keys.count - 1, "one link-up event per peer")
            #expect(cluster.networks[key.publicKey]!.stats.linksEstablished == cluster.keys.count - 1)
        }
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }

    @Test func unknownKeyIsRefusedAndChangesNothing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 2, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        let target = cluster.keys[0]
        let stranger = PrivateKey.deterministic(seed: "stranger")
        // The smaller key dials: the stranger must be the one to dial for this test.
        try #require(stranger.publicKey < target.publicKey)
        let targetAddress = PeerAddress(host: "127.0.0.1", port: cluster.ports[target.publicKey]!)
        let (intruder, _) = try await startOnFreePort { port in
            let strangerConfig = PeerNetworkConfig(
                nodeKey: stranger, chainID: "test-chain", peers: [target.publicKey: targetAddress],
                listen: PeerAddress(host: "127.0.0.1", port: port))
            return PeerNetwork(config: strangerConfig, group: group) { _, _ in }
        }
        intruder.send([6, 6, 6], to: target.publicKey)
        let targetNetwork = cluster.networks[target.publicKey]!
        #expect(try await eventually { targetNetwork.stats.handshakesRefused(.unknownKey) > 0 })
        #expect(!targetNetwork.connectedPeers.contains(stranger.publicKey))
        #expect(!cluster.inboxes[target.publicKey]!.all.contains { $0.1 == [6, 6, 6] })
        #expect(intruder.connectedPeers.isEmpty)
        await intruder.stop()
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }

    @Test func garbageOnThePeerPortIsRefusedAndLinksStayUp() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 2, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        let target = cluster.keys[0]
        let raw = try await ClientBootstrap(group: group)
            .connect(host: "127.0.0.1", port: cluster.ports[target.publicKey]!).get()
        var junk = raw.allocator.buffer(capacity: 8)
        junk.writeInteger(UInt32.max)
        junk.writeBytes([1, 2, 3, 4])
        try await raw.writeAndFlush(junk)
        #expect(try await eventually { !raw.isActive }, "the node closes a connection that sends a bad frame")
        #expect(
            try await eventually { cluster.networks[target.publicKey]!.stats.handshakesRefused(.oversizedFrame) == 1 })
        let other = cluster.keys[1]
        cluster.networks[other.publicKey]!.send([42], to: target.publicKey)
        #expect(try await eventually { cluster.inboxes[target.publicKey]!.contains([42], from: other.publicKey) })
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }

    @Test func restartedPeerIsRedialledAndGetsTheBacklog() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 2, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        // keys[0] has the larger key, so keys[1] dials it: stop keys[0] and restart it.
        let larger = cluster.keys[0]
        let smaller = cluster.keys[1]
        let port = cluster.ports[larger.publicKey]!
        await cluster.networks[larger.publicKey]!.stop()
        #expect(try await eventually { cluster.networks[smaller.publicKey]!.connectedPeers.isEmpty })
        cluster.networks[smaller.publicKey]!.send([7], to: larger.publicKey)
        try await cluster.start(larger, port: port)
        #expect(try await eventually { cluster.inboxes[larger.publicKey]!.contains([7], from: smaller.publicKey) })
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }
}
