/// How much a node's blob store holds and for how long: `blobs` in `config.json`. A field
/// left out keeps its default.
public struct BlobLimits: Codable, Sendable, Equatable {
    /// The whole store, in bytes charged (each blob charged at least `chargeBytesMin`).
    /// Past it an upload is refused with 507.
    public var storeBytesMax: Int = 8 << 30
    /// One account's uploads that no job names yet. Past it the account's next upload is
    /// refused with 429 until a job uses them or the janitor deletes them.
    public var accountBytesMax: Int = 256 << 20
    /// Unnamed uploads held at once, all accounts together: bounds the node's memory.
    public var pendingUploadsMax: Int = 65_536
    /// Least balance an uploading account holds: an account costs tokens, so quotas per
    /// account are not dodged with fresh keys.
    public var uploadBalanceMin: UInt64 = 1
    /// A blob no job names is deleted once it is this old.
    public var unreferencedSeconds: Int = 3_600
    /// The blobs of a settled job (code, input, output, log) are kept this many epochs
    /// after its deadline, then deleted; the anchor and the proof stay in the ledger.
    public var retentionEpochs: UInt64 = 4
    /// How often the janitor sweeps the store.
    public var sweepSeconds: Int = 60

    /// Every blob costs at least a file-system block of disk, whatever its length.
    public static let chargeBytesMin = 4_096

    public init() {}

    /// Every field `blobs` in config.json may name.
    static let fieldNames: Set<String> = [
        "storeBytesMax", "accountBytesMax", "pendingUploadsMax", "uploadBalanceMin", "unreferencedSeconds",
        "retentionEpochs", "sweepSeconds",
    ]

    public func validate() throws(NodeHomeError) {
        func require(_ holds: Bool, _ rule: String) throws(NodeHomeError) {
            guard holds else { throw .invalidConfig("blobs.\(rule)") }
        }
        try require(storeBytesMax >= 64 << 20, "storeBytesMax must be at least 67108864 (64 MiB)")
        try require(
            (BlobLimits.chargeBytesMin...storeBytesMax).contains(accountBytesMax),
            "accountBytesMax must be \(BlobLimits.chargeBytesMin)...storeBytesMax")
        try require((1...1_048_576).contains(pendingUploadsMax), "pendingUploadsMax must be 1...1048576")
        try require((60...31_536_000).contains(unreferencedSeconds), "unreferencedSeconds must be 60...31536000")
        try require(retentionEpochs <= 1 << 20, "retentionEpochs must be at most 1048576")
        try require((1...3_600).contains(sweepSeconds), "sweepSeconds must be 1...3600")
    }

    /// What one blob of `byteCount` bytes is charged.
    static func charge(_ byteCount: Int) -> Int { max(byteCount, chargeBytesMin) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = BlobLimits()
        storeBytesMax = try container.decodeIfPresent(Int.self, forKey: .storeBytesMax) ?? defaults.storeBytesMax
        accountBytesMax = try container.decodeIfPresent(Int.self, forKey: .accountBytesMax) ?? defaults.accountBytesMax
        pendingUploadsMax = try container.decodeIfPresent(Int.self, forKey: .pendingUploadsMax) ?? defaults.pendingUploadsMax
        uploadBalanceMin = try container.decodeIfPresent(UInt64.self, forKey: .uploadBalanceMin) ?? defaults.uploadBalanceMin
        unreferencedSeconds =
            try container.decodeIfPresent(Int.self, forKey: .unreferencedSeconds) ?? defaults.unreferencedSeconds
        retentionEpochs = try container.decodeIfPresent(UInt64.self, forKey: .retentionEpochs) ?? defaults.retentionEpochs
        sweepSeconds = try container.decodeIfPresent(Int.self, forKey: .sweepSeconds) ?? defaults.sweepSeconds
    }
}
