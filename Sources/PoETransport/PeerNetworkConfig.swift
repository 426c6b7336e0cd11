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

/// A `PeerNetworkConfig` rule that does not hold.
public struct PeerNetworkConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public let rule: String
    public var description: String { "invalid peer network config: \(rule)" }
}

/// Everything the peer network is bounded by. `PeerNetwork.init` requires `validate()`
/// to pass; call it first when the values come from a file.
public struct PeerNetworkConfig: Sendable {
    /// The smallest `frameBytesMax`: room for a consensus message and its tag.
    public static let frameBytesMin = 1024
    /// The longest handshake deadline: a longer one lets idle connections hold the
    /// handshake slots for longer.
    public static let handshakeTimeoutMillisecondsMax: Int64 = 60_000

    public var nodeKey: PrivateKey
    public var chainID: String
    /// Every node key that may connect at start, with where to dial it
    /// (`PeerNetwork.setPeers` replaces it at run time).
    public var peers: [PublicKey: PeerAddress]
    public var listen: PeerAddress
    /// The largest sealed frame accepted or sent on an authenticated link. Before
    /// authentication the bound is `LinkHandshake.frameBytesMax`.
    public var frameBytesMax: Int = 4 << 20
    /// Frames kept for a peer while its link is down; the oldest are dropped past it.
    public var backlogFramesMax: Int = 1024
    /// The same in bytes, per peer: frames are up to `frameBytesMax`, so a count alone
    /// would let one peer's backlog reach gigabytes.
    public var backlogBytesMax: Int = 64 << 20
    /// Frames written to a link but not yet flushed to the socket; past it, dropped.
    public var inFlightFramesMax: Int = 4096
    /// The same in bytes, per peer (a slow reader must not hold the sender's memory).
    public var inFlightBytesMax: Int = 64 << 20
    /// A connection, accepted or dialled, not authenticated by then is closed.
    public var handshakeTimeoutMilliseconds: Int64 = 5_000
    /// Accepted connections in their handshake at once; past it, new ones are closed
    /// without being read.
    public var handshakesInProgressMax: Int = 64
    /// The same, per remote IP address.
    public var handshakesPerAddressMax: Int = 8
    /// At most one `.handshakeRefused` event per reason per interval, then one summary.
    public var refusalEventIntervalMilliseconds: Int64 = 1_000
    public var reconnectDelayMin: TimeAmount = .milliseconds(100)
    public var reconnectDelayMax: TimeAmount = .seconds(5)

    public init(nodeKey: PrivateKey, chainID: String, peers: [PublicKey: PeerAddress], listen: PeerAddress) {
        self.nodeKey = nodeKey
        self.chainID = chainID
        self.peers = peers
        self.listen = listen
    }

    /// Checks every bound and how they relate.
    public func validate() throws(PeerNetworkConfigError) {
        func require(_ holds: Bool, _ rule: String) throws(PeerNetworkConfigError) {
            guard holds else { throw PeerNetworkConfigError(rule: rule) }
        }
        try require(
            frameBytesMax >= PeerNetworkConfig.frameBytesMin && frameBytesMax <= Int(UInt32.max),
            "frameBytesMax must be in \(PeerNetworkConfig.frameBytesMin)...\(UInt32.max), got \(frameBytesMax)")
        try require(backlogFramesMax > 0, "backlogFramesMax must be positive, got \(backlogFramesMax)")
        try require(inFlightFramesMax > 0, "inFlightFramesMax must be positive, got \(inFlightFramesMax)")
        try require(
            backlogBytesMax >= frameBytesMax && inFlightBytesMax >= frameBytesMax,
            "backlogBytesMax and inFlightBytesMax must hold one frame (frameBytesMax \(frameBytesMax))")
        try require(
            handshakeTimeoutMilliseconds > 0
                && handshakeTimeoutMilliseconds <= PeerNetworkConfig.handshakeTimeoutMillisecondsMax,
            "handshakeTimeoutMilliseconds must be in 1...\(PeerNetworkConfig.handshakeTimeoutMillisecondsMax), "
                + "got \(handshakeTimeoutMilliseconds)")
        try require(handshakesInProgressMax > 0, "handshakesInProgressMax must be positive, got \(handshakesInProgressMax)")
        try require(
            handshakesPerAddressMax > 0 && handshakesPerAddressMax <= handshakesInProgressMax,
            "handshakesPerAddressMax must be in 1...handshakesInProgressMax (\(handshakesInProgressMax)), "
                + "got \(handshakesPerAddressMax)")
        try require(
            refusalEventIntervalMilliseconds > 0,
            "refusalEventIntervalMilliseconds must be positive, got \(refusalEventIntervalMilliseconds)")
        try require(
            reconnectDelayMin > .zero && reconnectDelayMin <= reconnectDelayMax,
            "reconnectDelayMin must be positive and at most reconnectDelayMax")
        try require(peers[nodeKey.publicKey] == nil, "a node is not its own peer")
    }

    /// One connection per pair: the node with the smaller key dials.
    func dials(_ peer: PublicKey) -> Bool { nodeKey.publicKey < peer }
}

/// Counters and gauges of the peer port, for metrics and tests. Counters only grow;
/// gauges say how things are now.
public struct PeerNetworkStats: Sendable, Equatable {
    public var framesSent = 0
    public var framesReceived = 0
    /// Frames dropped because a queue was full.
    public var framesDropped = 0
    /// Gauge: bytes queued for all peers, in backlogs and written but not yet flushed.
    public var queuedBytes = 0
    /// Connections accepted on the peer port, including those refused at once.
    public var connectionsAccepted = 0
    /// Gauge: accepted connections now in their handshake, at most
    /// `handshakesInProgressMax`. (Dialled ones are at most one per peer.)
    public var handshakesInProgress = 0
    /// Handshakes, accepted or dialled, that ended without a link, by reason. A reason
    /// never seen has no entry; read it through `handshakesRefused(_:)`.
    public var handshakesRefusedByReason: [HandshakeRefusal: Int] = [:]
    /// Links authenticated and admitted.
    public var linksEstablished = 0
    /// Links that went down, whatever the reason; `linksEstablished - linksLost` is the
    /// number of links up.
    public var linksLost = 0
    /// The part of `linksLost` this side closed for a bad frame (too large, failed
    /// authentication).
    public var linksBroken = 0
    /// Refusals not reported one by one in a `.handshakeRefused` event (each is in a
    /// later `.handshakeRefusalsSuppressed` count).
    public var refusalEventsSuppressed = 0

    public init() {}

    public func handshakesRefused(_ reason: HandshakeRefusal) -> Int { handshakesRefusedByReason[reason, default: 0] }

    /// Every refused handshake, whatever the reason.
    public var handshakesRefused: Int { handshakesRefusedByReason.values.reduce(0, +) }
}
