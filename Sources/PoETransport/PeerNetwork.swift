public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import PoECrypto

/// The peer port of a node: authenticated, encrypted, length-framed TCP links to every
/// peer of the current set, one link per pair (the smaller key dials), redialled with
/// exponential backoff. Every queue is bounded; what does not fit is dropped and
/// counted, since the consensus protocol above recovers lost messages. Until a remote
/// authenticates it may send only handshake-sized frames, for a bounded time, in a
/// bounded number of connections (see `PeerNetworkConfig`). Thread-safe.
public final class PeerNetwork: PeerLinkDelegate, Sendable {
    public typealias MessageHandler = @Sendable (_ from: PublicKey, _ message: [UInt8]) -> Void
    /// Called on an event loop thread, or on the thread calling `setPeers` or `stop`,
    /// without the network's lock held: it must return quickly.
    public typealias EventHandler = @Sendable (PeerEvent) -> Void

    struct State {
        /// The admitted set: who may link, and where to dial them.
        var peers: [PublicKey: PeerAddress]
        var links: [PublicKey: any Channel] = [:]
        /// Frames kept for each peer whose link is down, and their total size.
        var backlog: [PublicKey: (frames: [[UInt8]], bytes: Int)] = [:]
        /// Frames and bytes written to the current link of each peer and not yet flushed.
        var inFlight: [PublicKey: (frames: Int, bytes: Int)] = [:]
        var reconnectDelay: [PublicKey: TimeAmount] = [:]
        /// Keys with a dial under way, from connect until that connection closes: at
        /// most one dial per key.
        var dialling: Set<PublicKey> = []
        var admission: HandshakeAdmission<ObjectIdentifier>
        var refusalReports: RefusalReportLimiter
        /// The pending summary timer of each reason that has one.
        var refusalFlushes: [HandshakeRefusal: Scheduled<Void>] = [:]
        var server: (any Channel)?
        var stopped = false
        var stats = PeerNetworkStats()
    }

    public let config: PeerNetworkConfig
    let group: any EventLoopGroup
    let onMessage: MessageHandler
    let events: EventHandler
    let state: NIOLockedValueBox<State>

    /// - Precondition: `config.validate()` passes.
    public init(
        config: PeerNetworkConfig, group: any EventLoopGroup, onMessage: @escaping MessageHandler,
        events: @escaping EventHandler = { _ in }
    ) {
        do { try config.validate() } catch { preconditionFailure(error.description) }
        self.config = config
        self.group = group
        self.onMessage = onMessage
        self.events = events
        state = NIOLockedValueBox(
            State(
                peers: config.peers,
                admission: HandshakeAdmission(
                    totalMax: config.handshakesInProgressMax, perAddressMax: config.handshakesPerAddressMax),
                refusalReports: RefusalReportLimiter(
                    intervalNanoseconds: UInt64(config.refusalEventIntervalMilliseconds) * 1_000_000)))
    }

    public var stats: PeerNetworkStats {
        state.withLockedValue { state in
            var stats = state.stats
            stats.handshakesInProgress = state.admission.inProgress
            stats.queuedBytes = state.backlog.values.reduce(0) { $0 + $1.bytes } + state.inFlight.values.reduce(0) { $0 + $1.bytes }
            return stats
        }
    }
    public var connectedPeers: Set<PublicKey> { state.withLockedValue { Set($0.links.keys) } }
    /// The admitted set now: `config.peers` until `setPeers` replaces it.
    public var peers: [PublicKey: PeerAddress] { state.withLockedValue { $0.peers } }

    /// Binds the peer port and dials the peers this node is responsible for. Returns
    /// the bound port (useful when `listen.port` is 0).
    @discardableResult
    public func start() async throws -> Int {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.accept(channel) }
            }
            .bind(host: config.listen.host, port: config.listen.port).get()
        let toDial = state.withLockedValue { state in
            state.server = server
            return state.peers.keys.filter(config.dials).sorted()
        }
        for peer in toDial { dial(peer) }
        return server.localAddress?.port ?? config.listen.port
    }

    public func stop() async {
        let (links, server) = state.withLockedValue { state in
            state.stopped = true
            for flush in state.refusalFlushes.values { flush.cancel() }
            state.refusalFlushes = [:]
            let links = state.links.keys.sorted().compactMap { peer in state.removeLink(peer).map { (peer, $0) } }
            return (links, state.server)
        }
        for (peer, _) in links { events(.linkDown(peer: peer, reason: .stopped)) }
        for channel in links.map(\.1) + (server.map { [$0] } ?? []) { try? await channel.close() }
    }

    /// Replaces the admitted set. Keys no longer in it lose their link and backlog, and
    /// a handshake from them is refused (`.unknownKey`); new keys this node dials are
    /// dialled now; an address changed for a linked key is used from its next dial.
    public func setPeers(_ peers: [PublicKey: PeerAddress]) {
        precondition(peers[config.nodeKey.publicKey] == nil, "a node is not its own peer")
        let (dropped, toDial) = state.withLockedValue { state in
            let removed = state.peers.keys.filter { peers[$0] == nil }.sorted()
            state.peers = peers
            var dropped: [(PublicKey, any Channel)] = []
            for peer in removed {
                state.backlog[peer] = nil
                state.reconnectDelay[peer] = nil
                if let link = state.removeLink(peer) { dropped.append((peer, link)) }
            }
            let toDial = state.stopped ? [] : peers.keys.filter { config.dials($0) && state.links[$0] == nil }.sorted()
            return (dropped, toDial)
        }
        for (peer, link) in dropped {
            events(.linkDown(peer: peer, reason: .removed))
            link.close(promise: nil)
        }
        for peer in toDial { dial(peer) }
    }

    /// Queues `message` for `peer`. Never blocks; drops (and counts) when full.
    /// A message over the frame bound is dropped and counted too, never a trap: its
    /// contents may come from peers (a batch, a view change's certificates), and one
    /// node refusing to send it must not stop the node.
    public func send(_ message: [UInt8], to peer: PublicKey) {
        guard message.count + ChaChaPoly.tagByteCount <= config.frameBytesMax else {
            state.withLockedValue { $0.stats.framesDropped += 1 }
            return
        }
        let link = state.withLockedValue { state -> (any Channel)? in
            guard !state.stopped, state.peers[peer] != nil else { return nil }
            guard let link = state.links[peer] else {
                var (queue, bytes) = state.backlog[peer] ?? ([], 0)
                bytes += message.count
                var dropped = 0
                while queue.count - dropped >= config.backlogFramesMax || bytes > config.backlogBytesMax {
                    bytes -= queue[dropped].count
                    dropped += 1
                }
                queue.removeFirst(dropped)
                state.stats.framesDropped += dropped
                queue.append(message)
                state.backlog[peer] = (queue, bytes)
                return nil
            }
            let inFlight = state.inFlight[peer, default: (0, 0)]
            guard inFlight.frames < config.inFlightFramesMax, inFlight.bytes + message.count <= config.inFlightBytesMax else {
                state.stats.framesDropped += 1
                return nil
            }
            state.inFlight[peer] = (inFlight.frames + 1, inFlight.bytes + message.count)
            state.stats.framesSent += 1
            return link
        }
        guard let link else { return }
        link.writeAndFlush(message).whenComplete { [self] _ in frameFlushed(to: peer, bytes: message.count, on: link) }
    }

    public func broadcast(_ message: [UInt8]) {
        for peer in peers.keys.sorted() { send(message, to: peer) }
    }
}

extension PeerNetwork.State {
    /// Takes `peer`'s link out of the table (counted as lost); the caller closes it
    /// and reports why.
    mutating func removeLink(_ peer: PublicKey) -> (any Channel)? {
        guard let link = links.removeValue(forKey: peer) else { return nil }
        inFlight[peer] = nil
        stats.linksLost += 1
        checkLinkCount()
        return link
    }

    func checkLinkCount() {
        precondition(stats.linksEstablished - stats.linksLost == links.count, "every link up is counted once")
    }
}
