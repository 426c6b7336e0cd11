public import Foundation
import PBFT
public import PoEDuties

/// Consensus tuning, in ticks of `tickMilliseconds`.
public struct ConsensusTuning: Codable, Sendable, Equatable {
    public var tickMilliseconds: Int = 50
    public var checkpointInterval: UInt64 = 16
    public var windowSize: UInt64 = 64
    public var batchSizeMax: Int = 128
    public var batchDelayTicks: UInt64 = 1
    public var viewChangeTimeoutTicks: UInt64 = 40
    public var retransmitTicks: UInt64 = 20
    /// Client requests a replica holds before it refuses new ones.
    public var pendingRequestsMax: Int = 1024
    /// While a job waits for attestations or its deadline and no request arrives, the
    /// primary proposes an empty batch every this many ticks, so that deadlines (counted
    /// in heights) pass on an idle chain too; 0 never.
    public var emptyBatchTicks: UInt64 = 20

    public init() {}

    /// Every field `consensus` in config.json may name.
    static let fieldNames: Set<String> = [
        "tickMilliseconds", "checkpointInterval", "windowSize", "batchSizeMax", "batchDelayTicks",
        "viewChangeTimeoutTicks", "retransmitTicks", "pendingRequestsMax", "emptyBatchTicks",
    ]

    /// Every bound the consensus configuration asserts, checked first so that a bad
    /// config.json is a clear error at start, never a trap.
    public func validate() throws(NodeHomeError) {
        func require(_ holds: Bool, _ rule: String) throws(NodeHomeError) {
            guard holds else { throw .invalidConfig("consensus.\(rule)") }
        }
        try require((1...10_000).contains(tickMilliseconds), "tickMilliseconds must be 1...10000")
        try require(checkpointInterval >= 1, "checkpointInterval must be at least 1")
        try require(
            windowSize >= checkpointInterval && windowSize % checkpointInterval == 0
                && windowSize <= UInt64(Limits.windowSizeMax),
            "windowSize must be a multiple of checkpointInterval, at most \(Limits.windowSizeMax)")
        try require((1...Limits.batchRequestsMax).contains(batchSizeMax), "batchSizeMax must be 1...\(Limits.batchRequestsMax)")
        try require(viewChangeTimeoutTicks >= 1, "viewChangeTimeoutTicks must be at least 1")
        try require(retransmitTicks >= 1, "retransmitTicks must be at least 1")
        try require((1...65_536).contains(pendingRequestsMax), "pendingRequestsMax must be 1...65536")
    }

    /// A field left out of config.json keeps its default, so that a home written by an
    /// older version, or by hand, still loads.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ConsensusTuning()
        tickMilliseconds = try container.decodeIfPresent(Int.self, forKey: .tickMilliseconds) ?? defaults.tickMilliseconds
        checkpointInterval =
            try container.decodeIfPresent(UInt64.self, forKey: .checkpointInterval) ?? defaults.checkpointInterval
        windowSize = try container.decodeIfPresent(UInt64.self, forKey: .windowSize) ?? defaults.windowSize
        batchSizeMax = try container.decodeIfPresent(Int.self, forKey: .batchSizeMax) ?? defaults.batchSizeMax
        batchDelayTicks = try container.decodeIfPresent(UInt64.self, forKey: .batchDelayTicks) ?? defaults.batchDelayTicks
        viewChangeTimeoutTicks =
            try container.decodeIfPresent(UInt64.self, forKey: .viewChangeTimeoutTicks) ?? defaults.viewChangeTimeoutTicks
        retransmitTicks = try container.decodeIfPresent(UInt64.self, forKey: .retransmitTicks) ?? defaults.retransmitTicks
        pendingRequestsMax =
            try container.decodeIfPresent(Int.self, forKey: .pendingRequestsMax) ?? defaults.pendingRequestsMax
        emptyBatchTicks = try container.decodeIfPresent(UInt64.self, forKey: .emptyBatchTicks) ?? defaults.emptyBatchTicks
    }
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
    /// Frames kept for a peer whose link is down (1024 when absent). A peer back within
    /// that many frames replays them; one back later fetches a checkpoint's state.
    public var peerBacklogFramesMax: Int?
    public var fault: FaultMode?
    /// Jobs run at once (the machine's cores when absent): one slow job never holds up
    /// the others.
    public var jobRunnerSlots: Int?
    /// The execution profiles this node runs (every profile its build supports when
    /// absent). A job under any other is not run nor attested: the node reports that it
    /// cannot run that profile, and is neither paid nor slashed for it.
    public var executionProfiles: [String]?
    /// The blob store's quotas and lifetimes (`BlobLimits`' defaults when absent).
    public var blobs: BlobLimits?

    public static let jobRunnerSlotsMax = 256

    /// Every field config.json may name (`NodeHome.refuseUnknownFields`).
    static let fieldNames: Set<String> = [
        "name", "peerListen", "apiListen", "consensus", "peerBacklogFramesMax", "fault", "jobRunnerSlots",
        "executionProfiles", "blobs",
    ]

    public init(
        name: String, peerListen: String, apiListen: String, consensus: ConsensusTuning = ConsensusTuning(),
        peerBacklogFramesMax: Int? = nil, fault: FaultMode? = nil, jobRunnerSlots: Int? = nil,
        executionProfiles: [String]? = nil, blobs: BlobLimits? = nil
    ) {
        self.name = name
        self.peerListen = peerListen
        self.apiListen = apiListen
        self.consensus = consensus
        self.peerBacklogFramesMax = peerBacklogFramesMax
        self.fault = fault
        self.jobRunnerSlots = jobRunnerSlots
        self.executionProfiles = executionProfiles
        self.blobs = blobs
    }
}

/// "host:port" split, with a clear error. An IPv6 host is written in brackets,
/// "[fd00::1]:26600", and returned without them.
public func parseHostPort(_ text: String, field: String) throws(NodeHomeError) -> (host: String, port: Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port), colon != text.startIndex
    else { throw .invalidConfig("\(field) must be host:port, got \"\(text)\"") }
    let host = text[..<colon]
    if host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2 { return (String(host.dropFirst().dropLast()), port) }
    return (String(host), port)
}
