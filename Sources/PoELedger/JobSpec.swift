public import PoECrypto
public import PoEWire

/// The runtime a job runs in.
public enum JobRuntime: UInt8, Sendable, Equatable, CaseIterable {
    case wasm = 0
}

/// How a job names its code: by content hash, or by a name published with `publishCode`.
public enum CodeReference: Sendable, Equatable {
    case hash(Digest)
    case name(String)
}

/// What a submitter asks the validators to run. Its canonical encoding is part of the job ID.
public struct JobSpec: Sendable, Equatable {
    /// The executor's bound (`JobExecution.entryBytesMax`): every accepted spec is runnable.
    public static let entryPointBytesMax = 64
    /// 1 GiB of 64 KiB pages: the most the executor will grant a job, so that every
    /// spec the ledger accepts is one every validator can run.
    public static let memoryLimitPagesMax: UInt32 = 16_384

    public var runtime: JobRuntime
    public var code: CodeReference
    public var inputHash: Digest
    public var entryPoint: String
    public var fuelLimit: UInt64
    public var memoryLimitPages: UInt32
    /// Heights after the commit height during which attestations are accepted.
    public var deadlineHeights: UInt64

    public init(
        runtime: JobRuntime = .wasm, code: CodeReference, inputHash: Digest, entryPoint: String,
        fuelLimit: UInt64, memoryLimitPages: UInt32, deadlineHeights: UInt64
    ) {
        self.runtime = runtime
        self.code = code
        self.inputHash = inputHash
        self.entryPoint = entryPoint
        self.fuelLimit = fuelLimit
        self.memoryLimitPages = memoryLimitPages
        self.deadlineHeights = deadlineHeights
    }

    /// Why this spec is refused, or nil when it is acceptable under `parameters`.
    /// Why the ledger would refuse this spec, or nil: the API refuses it at the door with
    /// the same words, so a client learns at once and spends no nonce.
    public func problem(parameters: LedgerParameters) -> String? {
        if entryPoint.isEmpty { return "entry point is empty" }
        if fuelLimit == 0 { return "fuel limit is zero" }
        if memoryLimitPages == 0 || memoryLimitPages > JobSpec.memoryLimitPagesMax {
            return "memory limit \(memoryLimitPages) pages is outside 1...\(JobSpec.memoryLimitPagesMax)"
        }
        if deadlineHeights == 0 || deadlineHeights > parameters.jobDeadlineHeightsMax {
            return "deadline \(deadlineHeights) heights is outside 1...\(parameters.jobDeadlineHeightsMax)"
        }
        let fuelMax = parameters.fuelMax(deadlineHeights: deadlineHeights)
        if fuelLimit > fuelMax {
            let needed = (fuelLimit - 1) / parameters.jobFuelPerHeightMax + 1
            return "fuel \(fuelLimit) cannot fit a deadline of \(deadlineHeights) heights at "
                + "\(parameters.jobFuelPerHeightMax) fuel per height (at most \(fuelMax); "
                + "a deadline of \(needed) heights fits it)"
        }
        return nil
    }
}

extension CodeReference: WireCodable {
    public func encode(to writer: inout WireWriter) {
        switch self {
        case .hash(let digest):
            writer.write(UInt8(0))
            writer.write(digest)
        case .name(let name):
            writer.write(UInt8(1))
            writer.writeString(name, bound: TransactionBody.codeNameBytesMax)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        switch try reader.readUInt8() {
        case 0: self = .hash(try reader.read())
        case 1: self = .name(try reader.readString(bound: TransactionBody.codeNameBytesMax, field: "code name"))
        case let tag: throw .invalidTag(field: "code reference", tag: tag)
        }
    }
}

extension JobSpec: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(runtime.rawValue)
        writer.write(code)
        writer.write(inputHash)
        writer.writeString(entryPoint, bound: JobSpec.entryPointBytesMax)
        writer.write(fuelLimit)
        writer.write(memoryLimitPages)
        writer.write(deadlineHeights)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let tag = try reader.readUInt8()
        guard let runtime = JobRuntime(rawValue: tag) else { throw .invalidTag(field: "job runtime", tag: tag) }
        self.runtime = runtime
        code = try reader.read()
        inputHash = try reader.read()
        entryPoint = try reader.readString(bound: JobSpec.entryPointBytesMax, field: "entry point")
        fuelLimit = try reader.readUInt64()
        memoryLimitPages = try reader.readUInt32()
        deadlineHeights = try reader.readUInt64()
    }
}

/// Job IDs bind the chain, the submitter, its nonce and the spec, so two submissions never
/// share an ID and a proof's spec can be checked against its ID.
public enum JobID {
    public static func compute(chainID: String, submitter: PublicKey, nonce: UInt64, spec: JobSpec) -> Digest {
        var writer = WireWriter()
        writer.writeString("poe/v1/job-id", bound: 64)
        writer.writeString(chainID, bound: Genesis.chainIDBytesMax)
        writer.write(submitter)
        writer.write(nonce)
        writer.write(spec)
        return Digest.sha256(writer.bytes)
    }
}
