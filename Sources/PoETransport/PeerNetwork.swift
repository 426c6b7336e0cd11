public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
public import PoECrypto

/// The peer port of a node: authenticated, encrypted, length-framed TCP links to every
/// other validator, one link per pair (the smaller key dials), redialled with
/// exponential backoff. Every queue is bounded; what does not fit is dropped and
/// counted, since the consensus protocol above recovers lost messages.
public final class PeerNetwork: PeerLinkDelegate, Sendable {
    public typealias MessageHandler = @Sendable (_ from: PublicKey, _ message: [UInt8]) -> Void

    private struct State {
        var links: [PublicKey: any Channel] = [:]
        var backlog: [PublicKey: [[UInt8]]] = [:]
        var inFlight: [PublicKey: Int] = [:]
        var reconnectDelay: [PublicKey: TimeAmount] = [:]
        var server: (any Channel)?
        var stopped = false
        var stats = PeerNetworkStats()
    }

    public let config: PeerNetworkConfig
    private let group: any EventLoopGroup
    private let onMessage: MessageHandler
    private let state = NIOLockedValueBox(State())

    public init(config: PeerNetworkConfig, group: any EventLoopGroup, onMessage: @escaping MessageHandler) {
        config.validate()
        self.config = config
        self.group = group
        self.onMessage = onMessage
    }

    public var stats: PeerNetworkStats { state.withLockedValue { $0.stats } }
    public var connectedPeers: Set<PublicKey> { state.withLockedValue { Set($0.links.keys) } }

    /// Binds the peer port and dials the peers this node is responsible for. Returns
    /// the bound port (useful when `listen.port` is 0).
    @discardableResult
    public func start() async throws -> Int {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.installHandlers(channel, dialling: nil) }
            }
            .bind(host: config.listen.host, port: config.listen.port).get()
        state.withLockedValue { $0.server = server }
        for peer in config.peers.keys.sorted() where config.dials(peer) { dial(peer) }
        return server.localAddress?.port ?? config.listen.port
    }

    public func stop() async {
        let channels = state.withLockedValue { state -> [any Channel] in
            state.stopped = true
            return Array(state.links.values) + (state.server.map { [$0] } ?? [])
        }
        for channel in channels { try? await channel.close() }
    }

    /// Queues `message` for `peer`. Never blocks; drops (and counts) when full.
    public func send(_ message: [UInt8], to peer: PublicKey) {
        precondition(message.count + ChaChaPoly.tagByteCount <= config.frameBytesMax, "message over frameBytesMax")
        let link = state.withLockedValue { state -> (any Channel)? in
            guard !state.stopped, config.peers[peer] != nil else { return nil }
            guard let link = state.links[peer] else {
                var queue = state.backlog[peer, default: []]
                if queue.count >= config.backlogFramesMax {
                    queue.removeFirst()
                    state.stats.framesDropped += 1
                }
                queue.append(message)
                state.backlog[peer] = queue
                return nil
            }
            guard state.inFlight[peer, default: 0] < config.inFlightFramesMax else {
                state.stats.framesDropped += 1
                return nil
            }
            state.inFlight[peer, default: 0] += 1
            state.stats.framesSent += 1
            return link
        }
        guard let link else { return }
        link.writeAndFlush(message).whenComplete { [self] _ in frameFlushed(to: peer) }
    }

    public func broadcast(_ message: [UInt8]) {
        for peer in config.peers.keys.sorted() { send(message, to: peer) }
    }

    // MARK: links

    private func installHandlers(_ channel: any Channel, dialling peer: PublicKey?) throws {
        let peers = Set(config.peers.keys)
        let handshake = LinkHandshake(
            role: peer == nil ? .responder : .initiator, nodeKey: config.nodeKey, chainID: config.chainID,
            expectedPeer: peer, isKnown: { peers.contains($0) })
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameDecoder(frameBytesMax: config.frameBytesMax)))
        try channel.pipeline.syncOperations.addHandler(
            PeerLinkHandler(
                handshake: handshake, dialled: peer, delegate: self, handshakeTimeout: config.handshakeTimeout))
    }

    private func dial(_ peer: PublicKey) {
        guard let address = config.peers[peer], !state.withLockedValue({ $0.stopped }) else { return }
        ClientBootstrap(group: group)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.installHandlers(channel, dialling: peer) }
            }
            .connect(host: address.host, port: address.port)
            .whenFailure { [self] _ in scheduleRedial(peer) }
    }

    private func scheduleRedial(_ peer: PublicKey) {
        let delay = state.withLockedValue { state -> TimeAmount? in
            guard !state.stopped else { return nil }
            let delay = state.reconnectDelay[peer] ?? config.reconnectDelayMin
            state.reconnectDelay[peer] = min(delay * 2, config.reconnectDelayMax)
            return delay
        }
        guard let delay else { return }
        group.next().scheduleTask(in: delay) { [self] in dial(peer) }
    }

    // MARK: PeerLinkDelegate

    func linkEstablished(_ peer: PublicKey, channel: any Channel) {
        let (replaced, backlog) = state.withLockedValue { state -> ((any Channel)?, [[UInt8]]) in
            let replaced = state.links[peer]
            state.links[peer] = channel
            state.inFlight[peer] = 0
            state.reconnectDelay[peer] = nil
            return (replaced, state.backlog.removeValue(forKey: peer) ?? [])
        }
        if let replaced, replaced !== channel { replaced.close(promise: nil) }
        for message in backlog { send(message, to: peer) }
    }

    func linkClosed(_ peer: PublicKey?, channel: any Channel, dialled: PublicKey?) {
        state.withLockedValue { state in
            if let peer, let current = state.links[peer], current === channel {
                state.links[peer] = nil
                state.inFlight[peer] = nil
            }
        }
        if let dialled { scheduleRedial(dialled) }
    }

    func received(_ message: [UInt8], from peer: PublicKey) {
        state.withLockedValue { $0.stats.framesReceived += 1 }
        onMessage(peer, message)
    }

    func refused(_ reason: String, handshake: Bool, channel: any Channel) {
        state.withLockedValue { state in
            if handshake { state.stats.handshakesRefused += 1 } else { state.stats.linksBroken += 1 }
        }
    }

    func frameFlushed(to peer: PublicKey) {
        state.withLockedValue { state in
            if let count = state.inFlight[peer], count > 0 { state.inFlight[peer] = count - 1 }
        }
    }
}
