public import PoEWire

/// How a job run ended. Every validator that runs the same job must reach the same
/// outcome: each case is decided by the module, the input and the limits only.
///
/// Encoded as a UInt8 tag followed by the case's payload; the result digest commits to it.
public enum Outcome: Hashable, Sendable, CustomStringConvertible {
    /// The entry point returned, or the module called `proc_exit`.
    case success(exitCode: UInt32)
    /// The module trapped (or a host call failed) before finishing.
    case trap(TrapKind)
    /// The fuel limit was reached.
    case outOfFuel
    /// The module asked for more linear memory (or table space) than the job allows.
    case outOfMemory
    /// The code is not a module this executor can run.
    case invalidModule(InvalidModuleReason)
    /// The code or the input did not hash to the digest named in the job spec; nothing ran.
    case hashMismatch(HashMismatchKind)
    /// The module wrote more than `outputBytesMax` bytes to stdout; the run was stopped.
    case outputTooLarge

    public var description: String {
        switch self {
        case .success(let exitCode): return "success(exit \(exitCode))"
        case .trap(let kind): return "trap(\(kind))"
        case .outOfFuel: return "out of fuel"
        case .outOfMemory: return "out of memory"
        case .invalidModule(let reason): return "invalid module(\(reason))"
        case .hashMismatch(let kind): return "hash mismatch(\(kind))"
        case .outputTooLarge: return "output too large"
        }
    }

    /// A successful run that exited with status 0.
    public var isCleanSuccess: Bool { self == .success(exitCode: 0) }
}

/// Why a module trapped, in classes that do not depend on the host.
public enum TrapKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case unreachable = 0
    case memoryOutOfBounds = 1
    case integerDivideByZero = 2
    case integerOverflow = 3
    case invalidConversionToInteger = 4
    case callStackExhausted = 5
    case indirectCall = 6
    /// A host (WASI) call failed in a way that is not an errno, such as a missing
    /// `memory` export.
    case hostCall = 7
    /// Any other trap the runtime reports.
    case other = 8

    public var description: String {
        switch self {
        case .unreachable: return "unreachable"
        case .memoryOutOfBounds: return "memory out of bounds"
        case .integerDivideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversionToInteger: return "invalid conversion to integer"
        case .callStackExhausted: return "call stack exhausted"
        case .indirectCall: return "bad indirect call"
        case .hostCall: return "host call failed"
        case .other: return "other"
        }
    }
}

/// Which stage refused the module.
public enum InvalidModuleReason: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The bytes are not a well-formed WebAssembly binary.
    case malformed = 0
    /// Validation, linking (an import outside the job ABI) or instantiation failed.
    case instantiation = 1
    /// The entry export is missing or is not a function of type `() -> ()` or `() -> i32`.
    case entry = 2
    /// The module is larger than the executor accepts, counted after NaN canonicalization.
    case tooLarge = 3

    public var description: String {
        switch self {
        case .malformed: return "malformed"
        case .instantiation: return "instantiation failed"
        case .entry: return "bad entry point"
        case .tooLarge: return "too large"
        }
    }
}

/// Which blob did not match its digest.
public enum HashMismatchKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case code = 0
    case input = 1

    public var description: String {
        switch self {
        case .code: return "code"
        case .input: return "input"
        }
    }
}

extension Outcome: WireCodable {
    private enum Tag: UInt8 {
        case success = 0, trap, outOfFuel, outOfMemory, invalidModule, hashMismatch, outputTooLarge
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .success(let exitCode):
            writer.write(Tag.success.rawValue)
            writer.write(exitCode)
        case .trap(let kind):
            writer.write(Tag.trap.rawValue)
            writer.write(kind.rawValue)
        case .outOfFuel:
            writer.write(Tag.outOfFuel.rawValue)
        case .outOfMemory:
            writer.write(Tag.outOfMemory.rawValue)
        case .invalidModule(let reason):
            writer.write(Tag.invalidModule.rawValue)
            writer.write(reason.rawValue)
        case .hashMismatch(let kind):
            writer.write(Tag.hashMismatch.rawValue)
            writer.write(kind.rawValue)
        case .outputTooLarge:
            writer.write(Tag.outputTooLarge.rawValue)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let raw = try reader.readUInt8()
        guard let tag = Tag(rawValue: raw) else { throw WireError.invalidTag(field: "Outcome", tag: raw) }
        switch tag {
        case .success:
            self = .success(exitCode: try reader.readUInt32())
        case .trap:
            self = .trap(try Outcome.readEnum(TrapKind.self, field: "TrapKind", from: &reader))
        case .outOfFuel:
            self = .outOfFuel
        case .outOfMemory:
            self = .outOfMemory
        case .invalidModule:
            self = .invalidModule(try Outcome.readEnum(InvalidModuleReason.self, field: "InvalidModuleReason", from: &reader))
        case .hashMismatch:
            self = .hashMismatch(try Outcome.readEnum(HashMismatchKind.self, field: "HashMismatchKind", from: &reader))
        case .outputTooLarge:
            self = .outputTooLarge
        }
    }

    private static func readEnum<E: RawRepresentable<UInt8>>(
        _ type: E.Type, field: String, from reader: inout WireReader
    ) throws(WireError) -> E {
        let raw = try reader.readUInt8()
        guard let value = E(rawValue: raw) else { throw WireError.invalidTag(field: field, tag: raw) }
        return value
    }
}
