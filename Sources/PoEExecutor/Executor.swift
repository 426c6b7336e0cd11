import PoECrypto
@_spi(Fuzzing) import WasmKit
import WasmKitWASI
@_spi(WASIPlatform) import WASI
import struct WasmParser.WasmFeatureSet

/// Runs jobs under WasmKit with fuel metering, a memory cap and a fixed WASI host.
///
/// Each run builds its own engine, store, WASI bridge and stdio, so nothing a job does
/// can reach the next run; the engine configuration is fixed here (not taken from the
/// host), because fuel accounting depends on it.
public enum Executor {
    /// Arguments every job sees: `argv[0]` only, the same everywhere.
    public static let jobArguments = ["job"]
    /// WasmKit's interpreter stack, fixed so that recursion depth traps identically.
    static let stackBytes = 1 << 19
    /// Largest module, counted after NaN canonicalization (which adds instructions).
    static let moduleBytesMax = 64 << 20
    /// WasmKit's proposals beyond the core spec that jobs may use. The canonicalizer refuses
    /// every opcode outside them before WasmKit sees the module; named here rather than
    /// taken from WasmKit's `.default`, which a WasmKit update could change.
    static let features: WasmFeatureSet = [.referenceTypes, .exceptionHandling]

    /// Fetches the code and input from `store` (each re-hashed on read), runs the job, and
    /// stores its output and log there (under `outputHash` and `logHash`) to be served.
    ///
    /// A blob missing or damaged in the local store is a local fault, not a property of
    /// the job: it throws, and the caller fetches the blob again instead of attesting.
    public static func run(
        _ job: JobExecution, store: BlobStore, keepOutputs: Bool = true
    ) throws(BlobStoreError) -> ExecutionResult {
        let code = try store.get(job.codeHash)
        let input = try store.get(job.inputHash)
        let result = run(job, code: code, input: input)
        if keepOutputs {
            let outputHash = try store.put(result.output)
            let logHash = try store.put(result.log)
            assert(outputHash == result.outputHash && logHash == result.logHash)
        }
        return result
    }

    /// Runs the job on bytes as delivered (by the submitter or a peer). Bytes that do not
    /// hash to the spec's digests abort the run with a `hashMismatch` outcome, which is
    /// what validators attest in that case.
    public static func run(_ job: JobExecution, code: [UInt8], input: [UInt8]) -> ExecutionResult {
        if Digest.sha256(code) != job.codeHash {
            return notRun(job, .hashMismatch(.code))
        }
        if Digest.sha256(input) != job.inputHash {
            return notRun(job, .hashMismatch(.input))
        }
        let canonical: [UInt8]
        do {
            canonical = try NaNCanonicalizer.canonicalize(code, bytesMax: moduleBytesMax)
        } catch {
            switch error {
            case .malformed: return notRun(job, .invalidModule(.malformed))
            case .tooLarge: return notRun(job, .invalidModule(.tooLarge))
            }
        }
        let module: Module
        do {
            module = try parseWasm(bytes: canonical, features: features)
        } catch {
            return notRun(job, .invalidModule(.malformed))
        }
        return execute(job, module: module, input: input)
    }

    private static func notRun(_ job: JobExecution, _ outcome: Outcome) -> ExecutionResult {
        ExecutionResult(jobID: job.jobID, outcome: outcome, output: [], log: [], logTruncated: false, fuelUsed: 0)
    }

    private static func execute(_ job: JobExecution, module: Module, input: [UInt8]) -> ExecutionResult {
        let engine = Engine(configuration: EngineConfiguration(
            compilationMode: .eager, stackSize: stackBytes, features: features, fuelMetering: true))
        let store = Store(engine: engine)
        let cap = MemoryCap(memoryLimitPages: job.memoryLimitPages)
        store.resourceLimiter = cap
        store.fuel = Fuel(remaining: job.fuelLimit)

        let meter = ByteMeter()
        let stdin = InputStream(input, meter: meter)
        let stdout = CaptureStream(bytesMax: Int(job.outputBytesMax), overflow: .stopRun, meter: meter)
        let stderr = CaptureStream(bytesMax: Int(job.logBytesMax), overflow: .truncate, meter: meter)
        let outcome: Outcome
        do {
            let wasi = try WASIBridgeToHost(
                args: jobArguments, environment: [:],
                fileSystem: .memory(try MemoryFileSystem()).withStdio(stdin: stdin, stdout: stdout, stderr: stderr),
                wallClock: FixedWallClock(), monotonicClock: FixedMonotonicClock(),
                randomGenerator: SeededRandom(jobID: job.jobID))
            outcome = try wasi.runAndClose { wasi in
                instantiateAndCall(job, module: module, store: store, wasi: wasi, cap: cap, meter: meter)
            }
        } catch {
            // Building or closing the in-memory WASI host failed: nothing the job controls.
            outcome = .trap(.hostCall)
        }
        let fuelUsed = job.fuelLimit - (store.fuel?.remaining ?? job.fuelLimit)
        return ExecutionResult(
            jobID: job.jobID, outcome: outcome, output: stdout.bytes, log: stderr.bytes,
            logTruncated: stderr.truncated, fuelUsed: fuelUsed)
    }

    private static func instantiateAndCall(
        _ job: JobExecution, module: Module, store: Store, wasi: WASIBridgeToHost, cap: MemoryCap,
        meter: ByteMeter
    ) -> Outcome {
        var imports = Imports()
        MeteredHost.link(wasi, into: &imports, store: store, meter: meter)
        let instance: Instance
        do {
            instance = try module.instantiate(store: store, imports: imports)
        } catch {
            if let trapped = classifyRunError(error, cap: cap) { return trapped }
            return .invalidModule(.instantiation)
        }
        guard let entry = instance.exports[function: job.entry],
            entry.type.parameters.isEmpty,
            entry.type.results == [] || entry.type.results == [.i32]
        else {
            return .invalidModule(.entry)
        }
        do {
            let results = try entry()
            if case .i32(let code)? = results.first { return exited(code, cap: cap) }
            return exited(0, cap: cap)
        } catch let exit as WASIExitCode {
            return exited(exit.code, cap: cap)
        } catch {
            return classifyRunError(error, cap: cap) ?? .trap(.hostCall)
        }
    }

    /// A module that coped with a refused grow and exited 0 succeeded; one that gave up
    /// with a non-zero status ran out of memory, however it chose to say so.
    private static func exited(_ code: UInt32, cap: MemoryCap) -> Outcome {
        if code != 0 && cap.didRefuse { return .outOfMemory }
        return .success(exitCode: code)
    }

    /// Maps what the runtime threw to an outcome; nil for errors that are not the job's doing
    /// at run time (the caller decides). WasmKit keeps its trap reasons package-internal, so
    /// the class is read from the trap's text, which is fixed per WasmKit version.
    static func classifyRunError(_ error: any Error, cap: MemoryCap) -> Outcome? {
        if error is OutputLimitExceeded { return .outputTooLarge }
        if cap.didRefuse { return .outOfMemory }
        if error is HostCallOutOfFuel { return .outOfFuel }
        guard let trap = error as? Trap else { return nil }
        let text = trap.description
        if text.hasPrefix("Trap: out of fuel") { return .outOfFuel }
        return .trap(trapKind(text))
    }

    static func trapKind(_ text: String) -> TrapKind {
        let reasons: [(String, TrapKind)] = [
            ("Trap: unreachable", .unreachable),
            ("Trap: out of bounds memory access", .memoryOutOfBounds),
            ("Trap: integer divide by zero", .integerDivideByZero),
            ("Trap: integer overflow", .integerOverflow),
            ("Trap: invalid conversion to integer", .invalidConversionToInteger),
            ("Trap: call stack exhausted", .callStackExhausted),
            ("Trap: indirect call", .indirectCall),
            ("Trap: out of bounds table access", .indirectCall),
        ]
        for (prefix, kind) in reasons where text.hasPrefix(prefix) { return kind }
        return .other
    }
}
