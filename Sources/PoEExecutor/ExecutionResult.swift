public import PoECrypto
public import PoEWire

/// What one run of a job produced. The `resultDigest` is what validators attest and
/// agree on; the output and log bytes are kept so they can be stored and served.
public struct ExecutionResult: Hashable, Sendable {
    /// Layout of the result digest's preimage (`ResultPreimage`); 2 added the profile.
    /// Everything else that changes a digest is in the profile.
    public static let digestVersion: UInt8 = 2

    public let jobID: Digest
    /// Fingerprint of the `ExecutionProfile` the job ran under.
    public let profile: Digest
    public let outcome: Outcome
    /// SHA-256 of everything the module wrote to stdout (empty if it never ran).
    public let outputHash: Digest
    /// SHA-256 of what the module wrote to stderr, up to the job's `logBytesMax`.
    public let logHash: Digest
    public let fuelUsed: UInt64
    public let output: [UInt8]
    public let log: [UInt8]
    /// True when stderr went over `logBytesMax` and was cut there.
    public let logTruncated: Bool

    public init(
        jobID: Digest, profile: Digest, outcome: Outcome, output: [UInt8], log: [UInt8], logTruncated: Bool,
        fuelUsed: UInt64
    ) {
        self.jobID = jobID
        self.profile = profile
        self.outcome = outcome
        self.output = output
        self.log = log
        self.logTruncated = logTruncated
        self.fuelUsed = fuelUsed
        self.outputHash = Digest.sha256(output)
        self.logHash = Digest.sha256(log)
    }

    /// The digest validators attest: it commits to the layout version, the job, the profile,
    /// the outcome, the output hash, the log hash and the fuel used.
    public var resultDigest: Digest {
        Digest.of(ResultPreimage(
            version: ExecutionResult.digestVersion, jobID: jobID, profile: profile, outcome: outcome,
            outputHash: outputHash, logHash: logHash, fuelUsed: fuelUsed))
    }
}

/// The canonical bytes under the result digest. Public so that a verifier holding only
/// the attested fields can recompute the digest.
public struct ResultPreimage: Hashable, Sendable, WireCodable {
    public var version: UInt8
    public var jobID: Digest
    /// `ExecutionProfile.fingerprint`.
    public var profile: Digest
    public var outcome: Outcome
    public var outputHash: Digest
    public var logHash: Digest
    public var fuelUsed: UInt64

    public init(
        version: UInt8, jobID: Digest, profile: Digest, outcome: Outcome, outputHash: Digest, logHash: Digest,
        fuelUsed: UInt64
    ) {
        self.version = version
        self.jobID = jobID
        self.profile = profile
        self.outcome = outcome
        self.outputHash = outputHash
        self.logHash = logHash
        self.fuelUsed = fuelUsed
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(version)
        writer.write(jobID)
        writer.write(profile)
        writer.write(outcome)
        writer.write(outputHash)
        writer.write(logHash)
        writer.write(fuelUsed)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        version = try reader.readUInt8()
        jobID = try reader.read(Digest.self)
        profile = try reader.read(Digest.self)
        outcome = try reader.read(Outcome.self)
        outputHash = try reader.read(Digest.self)
        logHash = try reader.read(Digest.self)
        fuelUsed = try reader.readUInt64()
    }
}
