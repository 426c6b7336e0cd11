public import PoECrypto
public import PoEWire

/// What a validator needs to run one job: the digests of its code and input, the entry
/// point and its limits. Built from a committed job spec; every field is part of what
/// the validators agree on, so a run depends on nothing else.
public struct JobExecution: Hashable, Sendable {
    /// Longest entry-point name accepted.
    public static let entryBytesMax = 64
    /// Largest linear memory a job may ask for: 16384 pages of 64 KiB = 1 GiB.
    public static let memoryLimitPagesMax: UInt32 = 16_384
    /// Largest stdout a job may produce.
    public static let outputBytesMaxLimit: UInt32 = 64 << 20
    /// Largest stderr kept for a job.
    public static let logBytesMaxLimit: UInt32 = 16 << 20

    /// Defaults for local runs (`poe run`).
    public static let fuelLimitDefault: UInt64 = 10_000_000_000
    public static let memoryLimitPagesDefault: UInt32 = 1_024  // 64 MiB
    public static let outputBytesMaxDefault: UInt32 = 1 << 20
    public static let logBytesMaxDefault: UInt32 = 64 << 10

    /// Seeds the job's random source; part of the result digest.
    public var jobID: Digest
    public var codeHash: Digest
    public var inputHash: Digest
    /// The exported function to call: `_start` for a WASI command.
    public var entry: String
    public var fuelLimit: UInt64
    public var memoryLimitPages: UInt32
    public var outputBytesMax: UInt32
    public var logBytesMax: UInt32

    public init(
        jobID: Digest, codeHash: Digest, inputHash: Digest, entry: String = "_start",
        fuelLimit: UInt64 = JobExecution.fuelLimitDefault,
        memoryLimitPages: UInt32 = JobExecution.memoryLimitPagesDefault,
        outputBytesMax: UInt32 = JobExecution.outputBytesMaxDefault,
        logBytesMax: UInt32 = JobExecution.logBytesMaxDefault
    ) {
        self.jobID = jobID
        self.codeHash = codeHash
        self.inputHash = inputHash
        self.entry = entry
        self.fuelLimit = fuelLimit
        self.memoryLimitPages = memoryLimitPages
        self.outputBytesMax = outputBytesMax
        self.logBytesMax = logBytesMax
        precondition(JobExecution.problem(in: self) == nil, JobExecution.problem(in: self) ?? "")
    }

    /// Why these limits cannot be run, or nil when they can. Checked on decode, so a bad
    /// spec from the wire is an error, never a crash.
    public static func problem(in job: JobExecution) -> String? {
        if job.entry.isEmpty { return "entry is empty" }
        if job.entry.utf8.count > entryBytesMax { return "entry longer than \(entryBytesMax) bytes" }
        if job.memoryLimitPages > memoryLimitPagesMax { return "memoryLimitPages over \(memoryLimitPagesMax)" }
        if job.outputBytesMax > outputBytesMaxLimit { return "outputBytesMax over \(outputBytesMaxLimit)" }
        if job.logBytesMax > logBytesMaxLimit { return "logBytesMax over \(logBytesMaxLimit)" }
        return nil
    }
}

extension JobExecution: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(jobID)
        writer.write(codeHash)
        writer.write(inputHash)
        writer.writeString(entry, bound: JobExecution.entryBytesMax)
        writer.write(fuelLimit)
        writer.write(memoryLimitPages)
        writer.write(outputBytesMax)
        writer.write(logBytesMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let jobID = try reader.read(Digest.self)
        let codeHash = try reader.read(Digest.self)
        let inputHash = try reader.read(Digest.self)
        let entry = try reader.readString(bound: JobExecution.entryBytesMax, field: "entry")
        let fuelLimit = try reader.readUInt64()
        let memoryLimitPages = try reader.readUInt32()
        let outputBytesMax = try reader.readUInt32()
        let logBytesMax = try reader.readUInt32()
        // Build without the initializer's precondition, then check.
        var job = JobExecution.unchecked
        job.jobID = jobID
        job.codeHash = codeHash
        job.inputHash = inputHash
        job.entry = entry
        job.fuelLimit = fuelLimit
        job.memoryLimitPages = memoryLimitPages
        job.outputBytesMax = outputBytesMax
        job.logBytesMax = logBytesMax
        if let problem = JobExecution.problem(in: job) {
            throw WireError.invalidValue(field: "JobExecution", reason: problem)
        }
        self = job
    }

    private static let unchecked = JobExecution(jobID: .zero, codeHash: .zero, inputHash: .zero)
}
