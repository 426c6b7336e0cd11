public import PoECrypto
public import PoEWire

/// What one run of a job produced. The `resultDigest` is what validators attest and
/// agree on; the output and log bytes are kept so they can be stored and served.
public struct ExecutionResult: Hashable, Sendable {
    /// Version of the result-digest preimage; bump when its layout or the job ABI changes.
    public static let digestVersion: UInt8 = 1

    public let jobID: Digest
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
        jobID: Digest, outcome: Outcome, output: [UInt8], log: [UInt8], logTruncated: Bool, fuelUsed: UInt64
    ) {
        self.jobID = jobID
        self.outcome = outcome
        self.output = output
        self.log = log
        self.logTruncated = logTruncated
        self.fuelUsed = fuelUsed
        self.outputHash = Digest.sha256(output)
        self.logHash = Digest.sha256(log)
    }

    /// The digest validators attest: it commits to the version, the job, the outcome, the
    /// output hash, the log hash and the fuel used.
    public var resultDigest: Digest {
        Digest.of(ResultPreimage(
            version: ExecutionResult.digestVersion, jobID: jobID, outcome: outcome,
            outputHash: outputHash, logHash: logHash, fuelUsed: fuelUsed))
    }
}

/// The canonical bytes under the result digest. Public so that a verifier holding only
/// the attested fields can recompute the digest.
public struct ResultPreimage: Hashable, Sendable, WireCodable {
    public var version: UInt8
    public var jobID: Digest
    public var outcome: Outcome
    public var outputHash: Digest
    public var logHash: Digest
    public var fuelUsed: UInt64

    public init(version: UInt8, jobID: Digest, outcome: Outcome, outputHash: Digest, logHash: Digest, fuelUsed: UInt64) {
        self.version = version
        self.jobID = jobID
        self.outcome = outcome
        self.outputHash = outputHash
        self.logHash = logHash
        self.fuelUsed = fuelUsed
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(version)
        writer.write(jobID)
        writer.write(outcome)
        writer.write(outputHash)
        writer.write(logHash)
        writer.write(fuelUsed)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        version = try reader.readUInt8()
        jobID = try reader.read(Digest.self)
        outcome = try reader.read(Outcome.self)
        outputHash = try reader.read(Digest.self)
        logHash = try reader.read(Digest.self)
        fuelUsed = try reader.readUInt64()
    }
}
