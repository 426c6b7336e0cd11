public import Foundation

/// How a node misbehaves on purpose, for simulations of faulty validators.
public enum FaultMode: String, Codable, Sendable, CaseIterable {
    /// Attests a wrong result digest for every job.
    case wrongResult = "wrong-result"
    /// Never attests (it still takes part in consensus).
    case silentAttester = "silent-attester"
    /// Signs two different attestations for every job and sends both.
    case equivocate = "equivocate"
}

/// Consensus tuning, in ticks of `tickMilliseconds`.
public struct ConsensusTuning: Codable, Sendable, Equatable {
    public var tickMilliseconds: Int = 50
    public var checkpointInterval: UInt64 = 16
    public var windowSize: UInt64 = 64
    public var batchSizeMax: Int = 128
    public var batchDelayTicks: UInt64 = 1
    public var viewChangeTimeoutTicks: UInt64 = 40
    public var retransmitTicks: UInt64 = 20

    public init() {}
}

/// A node's own settings: `config.json` in its home. Everything that all nodes must
/// agree on lives in `genesis.json` instead.
public struct NodeConfig: Codable, Sendable, Equatable {
    public var name: String
    /// Where the peer port listens, "host:port".
    public var peerListen: String
    /// Where the HTTP API listens, "host:port".
    public var apiListen: String
    public var consensus: ConsensusTuning
    public var fault: FaultMode?

    public init(name: String, peerListen: String, apiListen: String, consensus: ConsensusTuning = ConsensusTuning(), fault: FaultMode? = nil) {
        self.name = name
        self.peerListen = peerListen
        self.apiListen = apiListen
        self.consensus = consensus
        self.fault = fault
    }
}

/// "host:port" split, with a clear error.
public func parseHostPort(_ text: String, field: String) throws(NodeHomeError) -> (host: String, port: Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port), colon != text.startIndex
    else { throw .invalidConfig("\(field) must be host:port, got \"\(text)\"") }
    return (String(text[..<colon]), port)
}
