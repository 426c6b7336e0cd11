public import PoECrypto
public import PoEWire

/// Every rule that decides a job's result digest, as one named, versioned value.
///
/// Two validators that run the same job under the same profile must reach the same digest,
/// whatever their host; under different profiles they may not, and the digest says which
/// one it was computed under (`ExecutionResult.profile`). A profile is never edited in
/// place: changing any parameter (a fuel price, a limit, the WasmKit version, the WASI
/// surface) is a new profile with a new name, and the golden-vector tests fail until the
/// name is bumped (docs/JOBS.md, "Profiles").
///
/// Values are made only in this module, so every `ExecutionProfile` a caller holds is one
/// this build describes; `Executor.supportedProfiles` lists those it can run.
public struct ExecutionProfile: Hashable, Sendable, CustomStringConvertible {
    /// "poe-wasm/<version>".
    public let name: String
    /// The interpreter, pinned exactly in Package.swift: fuel counts, trap texts and
    /// validation come from it.
    public let engine: String
    /// The WebAssembly features a module may use, by proposal name. Anything else is
    /// refused before parsing (`invalidModule(malformed)`): SIMD, threads, tail calls, typed
    /// references, GC, multiple memories, memory64, and the bulk memory and table copies
    /// (`memory.init/copy/fill`, `table.init/copy/fill`), which WasmKit prices at one unit
    /// per 64 bytes, 2 to 8 times too little wall time per unit (docs/PERFORMANCE.md).
    public let features: [String]
    /// What a NaN result's bits are. "canonical": every NaN an arithmetic instruction
    /// produces is positive, quiet, with a zero payload (f32 7fc00000, f64 7ff8000000000000),
    /// as in WebAssembly's deterministic profile (`NaNCanonicalizer`).
    public let nanRule: String
    /// WasmKit's interpreter stack: fixes the recursion depth at which a job traps.
    public let stackBytes: Int
    /// Largest module accepted, counted after NaN canonicalization (`invalidModule(tooLarge)`).
    public let moduleBytesMax: Int
    /// Bounds a job spec may ask for (`JobExecution`).
    public let memoryPagesMax: UInt32
    public let outputBytesMax: UInt32
    public let logBytesMax: UInt32
    /// Largest table, in elements; a larger initial table or `table.grow` is refused.
    public let tableElementsMax: Int
    public let fuel: FuelPrices
    public let host: HostInterface
    /// Layout of the result digest's preimage (`ResultPreimage`).
    public let resultDigestVersion: UInt8

    /// The profile this build runs by default, and the only one it supports.
    public static let current = poeWasm2

    /// poe-wasm/1 was the executor before profiles: WasmKit's default features, host NaN
    /// bits, host calls at 64 fuel plus one per 16 bytes. It is not supported any more.
    public static let poeWasm2 = ExecutionProfile(
        name: "poe-wasm/2",
        engine: "WasmKit 0.4.2 (eager compilation, direct-threaded interpreter, fuel metering)",
        features: [
            "mvp", "mutable-globals", "sign-extension", "saturating-float-to-int", "multi-value",
            "reference-types without bulk table operations", "exception-handling",
        ],
        nanRule: "canonical",
        stackBytes: 1 << 19,
        moduleBytesMax: 64 << 20,
        memoryPagesMax: JobExecution.memoryLimitPagesMax,
        outputBytesMax: JobExecution.outputBytesMaxLimit,
        logBytesMax: JobExecution.logBytesMaxLimit,
        tableElementsMax: 100_000,
        fuel: FuelPrices(
            instruction: 1, bulkBytesPerFuel: 64, hostCall: 2_000, inputByte: 1, outputByte: 4, pathByte: 2,
            randomByte: 16, iovec: 128, grow: 128, memoryPage: 131_072, tableElement: 2),
        host: HostInterface(
            arguments: ["job"], environment: [], wallClockSeconds: 1_704_067_200, monotonicNanoseconds: 0,
            randomDomain: "poe.job.random.v1",
            stubbedFunctions: ["poll_oneoff", "proc_raise", "sock_accept", "sock_recv", "sock_send", "sock_shutdown"]),
        resultDigestVersion: ExecutionResult.digestVersion)

    /// SHA-256 of the canonical encoding of every parameter, name included.
    public var fingerprint: Digest { Digest.of(self) }

    public var description: String { "\(name) (\(fingerprint.short))" }
}

/// What fuel a job pays, and for what. One unit is about one WebAssembly instruction; every
/// other price is set so that no kind of work runs longer per unit than plain instructions
/// by more than 2x (measured: docs/PERFORMANCE.md, "Fuel and wall time").
public struct FuelPrices: Hashable, Sendable {
    /// WasmKit's own price of an operator (`nop`, `drop`, `block`, `loop`, `unreachable`,
    /// `return`, `else` and `end` are free). Fixed by the engine; recorded, not applied here.
    public let instruction: UInt64
    /// WasmKit charges one more unit per this many bytes a bulk memory or table instruction moves.
    public let bulkBytesPerFuel: UInt64
    /// Every WASI call, linked or stubbed, before it runs.
    public let hostCall: UInt64
    /// Each byte a job reads from stdin.
    public let inputByte: UInt64
    /// Each byte a job writes to stdout or stderr (dropped log bytes too): kept, then hashed.
    public let outputByte: UInt64
    /// Each byte of a length argument the host reads or fills in the job's memory, other
    /// than stdio: paths (read and scanned whole), directory and link buffers.
    public let pathByte: UInt64
    /// Each byte `random_get` is asked for, before it is made.
    public let randomByte: UInt64
    /// Each buffer descriptor of an `fd_read`/`fd_write`-style call, before it runs.
    public let iovec: UInt64
    /// Each `memory.grow` or `table.grow` that reaches the limiter, granted or refused, and
    /// each initial memory or table.
    public let grow: UInt64
    /// Each 64 KiB page of linear memory granted, initial memory included: two units per
    /// byte, for the page faults of its first use and the unmapping at the end.
    public let memoryPage: UInt64
    /// Each element of a table as it stands after a grant (initial or `table.grow`): WasmKit
    /// copies the whole table on every grow, even by zero.
    public let tableElement: UInt64
}

/// The WASI preview-1 host a job sees. Everything in it is fixed, so a job can read nothing
/// that differs between validators.
public struct HostInterface: Hashable, Sendable {
    public let arguments: [String]
    /// `KEY=value` entries.
    public let environment: [String]
    /// The wall clock, always this second (nanoseconds 0, resolution 1 ns).
    public let wallClockSeconds: UInt64
    /// The monotonic clock, stopped here.
    public let monotonicNanoseconds: UInt64
    /// `random_get` block i = SHA-256(domain ‖ job ID ‖ i as UInt64 big-endian).
    public let randomDomain: String
    /// Linked as stubs returning `ENOSYS` (still charged `hostCall`); every other preview-1
    /// function is WasmKit's implementation over in-memory stdio and an empty file system.
    public let stubbedFunctions: [String]
}

extension ExecutionProfile: WireEncodable {
    static let textBytesMax = 256
    static let listCountMax = 64

    public func encode(to writer: inout WireWriter) {
        writer.writeString(name, bound: Self.textBytesMax)
        writer.writeString(engine, bound: Self.textBytesMax)
        writer.writeStrings(features)
        writer.writeString(nanRule, bound: Self.textBytesMax)
        writer.write(UInt64(stackBytes))
        writer.write(UInt64(moduleBytesMax))
        writer.write(memoryPagesMax)
        writer.write(outputBytesMax)
        writer.write(logBytesMax)
        writer.write(UInt64(tableElementsMax))
        writer.write(fuel)
        writer.write(host)
        writer.write(resultDigestVersion)
    }
}

extension FuelPrices: WireEncodable {
    public func encode(to writer: inout WireWriter) {
        for price in [instruction, bulkBytesPerFuel, hostCall, inputByte, outputByte, pathByte, randomByte, iovec,
                      grow, memoryPage, tableElement] {
            writer.write(price)
        }
    }
}

extension HostInterface: WireEncodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeStrings(arguments)
        writer.writeStrings(environment)
        writer.write(wallClockSeconds)
        writer.write(monotonicNanoseconds)
        writer.writeString(randomDomain, bound: ExecutionProfile.textBytesMax)
        writer.writeStrings(stubbedFunctions)
    }
}

extension WireWriter {
    fileprivate mutating func writeStrings(_ values: [String]) {
        precondition(values.count <= ExecutionProfile.listCountMax, "profile list over its bound")
        write(UInt32(values.count))
        for value in values { writeString(value, bound: ExecutionProfile.textBytesMax) }
    }
}

/// Asked to run under a profile this build does not have. The job is not run: the node
/// reports that it cannot run profile `name`, which is neither a result nor a fault.
public struct UnsupportedProfile: Error, Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let supported: [String]

    public var description: String {
        "cannot run profile \(name): this executor runs \(supported.joined(separator: ", "))"
    }
}
