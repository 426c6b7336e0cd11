import ArgumentParser
import Foundation
import PoECrypto
import PoEExecutor

/// `poe run`: runs a job locally exactly as a validator would, and prints its result
/// digest, so a submitter can check a job (and its fuel) before paying for it.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a WebAssembly job locally and print its outcome and result digest.",
        discussion: """
            The job sees its input on stdin and writes its output to stdout and its log to \
            stderr (see docs/JOBS.md). The result digest commits to the job ID, the execution \
            profile, the outcome, the output and log hashes and the fuel used; validators \
            attest that digest.
            """)

    @Option(name: .long, help: "Path of the WebAssembly module.")
    var code: String

    @Option(name: .long, help: "Path of the input given on stdin (default: empty).")
    var input: String?

    @Option(name: .long, help: "Fuel limit (about one unit per WebAssembly instruction).")
    var fuel: UInt64 = JobExecution.fuelLimitDefault

    @Option(name: .long, help: "Exported function to call.")
    var entry: String = "_start"

    @Option(name: .long, help: "Linear memory limit in 64 KiB pages.")
    var memoryPages: UInt32 = JobExecution.memoryLimitPagesDefault

    @Option(name: .long, help: "Most stdout bytes before the run is stopped.")
    var outputMax: UInt32 = JobExecution.outputBytesMaxDefault

    @Option(name: .long, help: "Most stderr bytes kept.")
    var logMax: UInt32 = JobExecution.logBytesMaxDefault

    @Option(name: .long, help: "Execution profile to run under (the rules every validator applies; see docs/JOBS.md).")
    var profile: String = ExecutionProfile.current.name

    @Option(name: .long, help: "Job ID in hex (seeds the job's random source; default: SHA-256 of code hash ‖ input hash).")
    var jobId: String?

    @Option(name: .long, help: "Expected code hash in hex, as the job spec or published name gives it.")
    var codeHash: String?

    @Option(name: .long, help: "Expected input hash in hex.")
    var inputHash: String?

    @Option(name: .long, help: "Write the job's stdout to this file.")
    var output: String?

    @Flag(name: .long, help: "Print a JSON object instead of text.")
    var json = false

    @Flag(name: .long, help: "Print only the result digest.")
    var digestOnly = false

    /// Output up to this size is printed inline in text mode.
    static let inlineOutputBytesMax = 4_096

    func validate() throws {
        if memoryPages > JobExecution.memoryLimitPagesMax {
            throw ValidationError("--memory-pages must be at most \(JobExecution.memoryLimitPagesMax)")
        }
        if outputMax > JobExecution.outputBytesMaxLimit {
            throw ValidationError("--output-max must be at most \(JobExecution.outputBytesMaxLimit)")
        }
        if logMax > JobExecution.logBytesMaxLimit {
            throw ValidationError("--log-max must be at most \(JobExecution.logBytesMaxLimit)")
        }
        if entry.isEmpty || entry.utf8.count > JobExecution.entryBytesMax {
            throw ValidationError("--entry must be 1 to \(JobExecution.entryBytesMax) bytes")
        }
    }

    func run() throws {
        let profile: ExecutionProfile
        do {
            profile = try Executor.profile(named: self.profile)
        } catch {
            throw RunError(error.description)
        }
        let codeBytes = try Self.read(code, what: "code")
        let inputBytes = try input.map { try Self.read($0, what: "input") } ?? []
        let job = JobExecution(
            jobID: try jobID(codeBytes: codeBytes, inputBytes: inputBytes),
            codeHash: try Self.digest(codeHash, option: "--code-hash") ?? .sha256(codeBytes),
            inputHash: try Self.digest(inputHash, option: "--input-hash") ?? .sha256(inputBytes),
            entry: entry, fuelLimit: fuel, memoryLimitPages: memoryPages,
            outputBytesMax: outputMax, logBytesMax: logMax)
        let clock = ContinuousClock()
        let start = clock.now
        let result = Executor.run(job, code: codeBytes, input: inputBytes, profile: profile)
        let elapsed = clock.now - start
        if let output {
            do {
                try Data(result.output).write(to: URL(fileURLWithPath: output))
            } catch {
                throw RunError("cannot write --output \(output): \(error.localizedDescription)")
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if digestOnly {
            print(result.resultDigest.hex)
        } else if json {
            print(try Self.json(job: job, profile: profile, result: result, seconds: seconds))
        } else {
            printText(job: job, profile: profile, result: result, seconds: seconds)
        }
    }

    private func jobID(codeBytes: [UInt8], inputBytes: [UInt8]) throws -> Digest {
        if let given = try Self.digest(jobId, option: "--job-id") { return given }
        return .sha256(Digest.sha256(codeBytes).bytes + Digest.sha256(inputBytes).bytes)
    }

    private func printText(job: JobExecution, profile: ExecutionProfile, result: ExecutionResult, seconds: Double) {
        print("job id:        \(job.jobID.hex)")
        print("profile:       \(profile.name) (fingerprint \(profile.fingerprint.hex))")
        print("code hash:     \(job.codeHash.hex)")
        print("input hash:    \(job.inputHash.hex)")
        print("outcome:       \(result.outcome)")
        print("fuel used:     \(fuelText(result, limit: job.fuelLimit))")
        print("output hash:   \(result.outputHash.hex) (\(result.output.count) bytes)")
        print("log hash:      \(result.logHash.hex) (\(result.log.count) bytes\(result.logTruncated ? ", truncated" : ""))")
        print("result digest: \(result.resultDigest.hex)")
        print(String(format: "elapsed:       %.3f s (not part of the digest)", seconds))
        if output == nil && !result.output.isEmpty {
            if result.output.count <= Self.inlineOutputBytesMax {
                print("--- output ---")
                print(String(decoding: result.output, as: UTF8.self), terminator: "")
            } else {
                print("(output not shown: \(result.output.count) bytes; use --output FILE)")
            }
        }
        if !result.log.isEmpty && result.log.count <= Self.inlineOutputBytesMax {
            print("--- log ---")
            print(String(decoding: result.log, as: UTF8.self), terminator: "")
        }
    }

    private struct Report: Encodable {
        var jobID: String
        var profile: String
        var profileFingerprint: String
        var codeHash: String
        var inputHash: String
        var outcome: String
        var outcomeTag: UInt8
        var fuelUsed: UInt64
        var fuelLimit: UInt64
        var outputHash: String
        var outputBytes: Int
        var logHash: String
        var logBytes: Int
        var logTruncated: Bool
        var resultDigest: String
        var elapsedSeconds: Double
        var output: String?
    }

    private static func json(
        job: JobExecution, profile: ExecutionProfile, result: ExecutionResult, seconds: Double
    ) throws -> String {
        let small = result.output.count <= inlineOutputBytesMax
        let report = Report(
            jobID: job.jobID.hex, profile: profile.name, profileFingerprint: profile.fingerprint.hex, codeHash: job.codeHash.hex, inputHash: job.inputHash.hex,
            outcome: result.outcome.description, outcomeTag: result.outcome.wireBytes[0],
            fuelUsed: result.fuelUsed, fuelLimit: job.fuelLimit,
            outputHash: result.outputHash.hex, outputBytes: result.output.count,
            logHash: result.logHash.hex, logBytes: result.log.count, logTruncated: result.logTruncated,
            resultDigest: result.resultDigest.hex, elapsedSeconds: seconds,
            output: small ? String(decoding: result.output, as: UTF8.self) : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    private static func read(_ path: String, what: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= BlobStore.blobBytesMaxDefault else {
            throw RunError("\(what) file \(path) is \(size) bytes, over the \(BlobStore.blobBytesMaxDefault)-byte bound")
        }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw RunError("cannot read \(what) file \(path): \(error.localizedDescription)")
        }
    }

    private static func digest(_ hex: String?, option: String) throws -> Digest? {
        guard let hex else { return nil }
        guard let digest = Digest(hex: hex) else { throw ValidationError("\(option) must be 64 hex digits") }
        return digest
    }
}

/// A failure to read or write the files of a local run; printed without the usage text.
private struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
