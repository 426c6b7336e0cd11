import PoECrypto
@_spi(Fuzzing) import WasmKit
import WasmKitWASI
@_spi(WASIPlatform) import WASI
import struct WasmParser.WasmFeatureSet

/// Runs jobs under WasmKit with fuel metering, a memory cap and a fixed WASI host, by the
/// rules of an `ExecutionProfile`.
///
/// Each run builds its own engine, store, WASI bridge and stdio, so nothing a job does
/// can reach the next run; the engine configuration comes from the profile (not from the
/// host), because fuel accounting depends on it.
public enum Executor {
    /// The profiles this build can run. A job asks for one by name (`profile(named:)`).
    public static let supportedProfiles: [ExecutionProfile] = [.poeWasm2]

    /// The supported profile called `name`; `UnsupportedProfile` when this build has none by
    /// that name (the node then reports that it cannot run the job, rather than a result).
    public static func profile(named name: String) throws(UnsupportedProfile) -> ExecutionProfile {
        guard let profile = supportedProfiles.first(where: { $0.name == name }) else {
            throw UnsupportedProfile(name: name, supported: supportedProfiles.map(\.name))
        }
        return profile
    }

    /// WasmKit's proposals beyond the core spec that poe-wasm/2 lets jobs use (its `features`
    /// list: reference types, exception handling). The canonicalizer refuses every opcode
    /// outside the profile before WasmKit sees the module; named here rather than taken from
    /// WasmKit's `.default`, which a WasmKit update could change.
    static let wasmKitFeatures: WasmFeatureSet = [.referenceTypes, .exceptionHandling]

    /// Fetches the code and input from `store` (each re-hashed on read), runs the job, and
    /// stores its output and log there (under `outputHash` and `logHash`) to be served.
    ///
    /// A blob missing or damaged in the local store is a local fault, not a property of
    /// the job: it throws, and the caller fetches the blob again instead of attesting.
    public static func run(
        _ job: JobExecution, store: BlobStore, profile: ExecutionProfile = .current, keepOutputs: Bool = true
    ) throws(BlobStoreError) -> ExecutionResult {
        let code = try store.get(job.codeHash)
        let input = try store.get(job.inputHash)
        let result = run(job, code: code, input: input, profile: profile)
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
    public static func run(
        _ job: JobExecution, code: [UInt8], input: [UInt8], profile: ExecutionProfile = .current
    ) -> ExecutionResult {
        precondition(supportedProfiles.contains(profile), "profile \(profile.name) is not one this build runs")
        if Digest.sha256(code) != job.codeHash {
            return notRun(job, profile, .hashMismatch(.code))
        }
        if Digest.sha256(input) != job.inputHash {
            return notRun(job, profile, .hashMismatch(.input))
        }
        let canonical: [UInt8]
        do {
            canonical = try NaNCanonicalizer.canonicalize(code, bytesMax: profile.moduleBytesMax)
        } catch {
            switch error {
            case .malformed: return notRun(job, profile, .invalidModule(.malformed))
            case .tooLarge: return notRun(job, profile, .invalidModule(.tooLarge))
            }
        }
        let module: Module
        do {
            module = try parseWasm(bytes: canonical, features: wasmKitFeatures)
        } catch {
            return notRun(job, profile, .invalidModule(.malformed))
        }
        return execute(job, profile, module: module, input: input)
    }

    private static func notRun(_ job: JobExecution, _ profile: ExecutionProfile, _ outcome: Outcome) -> ExecutionResult {
        ExecutionResult(
            jobID: job.jobID, profile: profile.fingerprint, outcome: outcome, output: [], log: [], logTruncated: false,
            fuelUsed: 0)
    }

    private static func execute(
        _ job: JobExecution, _ profile: ExecutionProfile, module: Module, input: [UInt8]
    ) -> ExecutionResult {
        let engine = Engine(configuration: EngineConfiguration(
            compilationMode: .eager, stackSize: profile.stackBytes, features: wasmKitFeatures, fuelMetering: true))
        let store = Store(engine: engine)
        store.fuel = Fuel(remaining: job.fuelLimit)
        let fuel = FuelAccount(store: store)
        let cap = MemoryCap(
            memoryLimitPages: job.memoryLimitPages, tableElementsMax: profile.tableElementsMax, prices: profile.fuel,
            fuel: fuel)
        store.resourceLimiter = cap

        let (read, written) = (ByteMeter(), ByteMeter())
        let stdin = InputStream(input, meter: read)
        let stdout = CaptureStream(bytesMax: Int(job.outputBytesMax), overflow: .stopRun, meter: written)
        let stderr = CaptureStream(bytesMax: Int(job.logBytesMax), overflow: .truncate, meter: written)
        let host = profile.host
        // WasmKit's bridge takes the environment as a dictionary, whose order differs between
        // processes: only an empty (or one-entry) environment is the same everywhere.
        precondition(host.environment.isEmpty, "a job environment must be empty")
        let outcome: Outcome
        do {
            let wasi = try WASIBridgeToHost(
                args: host.arguments, environment: [:],
                fileSystem: .memory(try MemoryFileSystem()).withStdio(stdin: stdin, stdout: stdout, stderr: stderr),
                wallClock: FixedWallClock(seconds: host.wallClockSeconds),
                monotonicClock: FixedMonotonicClock(nanoseconds: host.monotonicNanoseconds),
                randomGenerator: SeededRandom(domain: host.randomDomain, jobID: job.jobID))
            outcome = try wasi.runAndClose { wasi in
                var imports = Imports()
                MeteredHost.link(
                    wasi, into: &imports, store: store, prices: profile.fuel, fuel: fuel, input: read, output: written)
                return instantiateAndCall(job, module: module, store: store, imports: imports, cap: cap)
            }
        } catch {
            // Building or closing the in-memory WASI host failed: nothing the job controls.
            outcome = .trap(.hostCall)
        }
        let fuelUsed = job.fuelLimit - (store.fuel?.remaining ?? job.fuelLimit)
        return ExecutionResult(
            jobID: job.jobID, profile: profile.fingerprint, outcome: outcome, output: stdout.bytes, log: stderr.bytes,
            logTruncated: stderr.truncated, fuelUsed: fuelUsed)
    }

    private static func instantiateAndCall(
        _ job: JobExecution, module: Module, store: Store, imports: Imports, cap: MemoryCap
    ) -> Outcome {
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
