public import NIOCore
public import PoECrypto

public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// Everything the peer network is bounded by. Checked when built.
public struct PeerNetworkConfig: Sendable {
    public var nodeKey: PrivateKey
    public var chainID: String
    /// Every node key that may connect, with where to dial it.
    public var peers: [PublicKey: PeerAddress]
    public var listen: PeerAddress
    /// The largest sealed frame accepted or sent.
    public var frameBytesMax: Int = 4 << 20
    /// Frames kept for a peer while its link is down; the oldest are dropped past it.
    public var backlogFramesMax: Int = 1024
    /// Frames written to a link but not yet flushed to the socket; past it, dropped.
    public var inFlightFramesMax: Int = 4096
    public var handshakeTimeout: TimeAmount = .seconds(5)
    public var reconnectDelayMin: TimeAmount = .milliseconds(100)
    public var reconnectDelayMax: TimeAmount = .seconds(5)

    public init(nodeKey: PrivateKey, chainID: String, peers: [PublicKey: PeerAddress], listen: PeerAddress) {
        self.nodeKey = nodeKey
        self.chainID = chainID
        self.peers = peers
        self.listen = listen
    }

    func validate() {
        precondition(frameBytesMax >= 1024, "frameBytesMax must leave room for a handshake")
        precondition(backlogFramesMax > 0 && inFlightFramesMax > 0)
        precondition(reconnectDelayMin > .zero && reconnectDelayMin <= reconnectDelayMax)
        precondition(peers[nodeKey.publicKey] == nil, "a node is not its own peer")
    }

    /// One connection per pair: the node with the smaller key dials.
    func dials(_ peer: PublicKey) -> Bool { nodeKey.publicKey < peer }
}

/// Counters for metrics and tests.
public struct PeerNetworkStats: Sendable, Equatable {
    public var framesSent = 0
    public var framesReceived = 0
    /// Frames dropped because a queue was full.
    public var framesDropped = 0
    /// Links closed during the handshake (unknown key, bad signature, malformed ...).
    public var handshakesRefused = 0
    /// Established links closed for a bad frame (too large, failed authentication).
    public var linksBroken = 0
}
