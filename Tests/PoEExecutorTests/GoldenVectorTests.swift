import Foundation
import PoECrypto
import PoEWire
import Testing

@testable import PoEExecutor

/// Test vectors for every example job under the current profile: outcome, fuel used,
/// output and log hashes and the result digest, kept in `golden-vectors.json` with the
/// profile's name and fingerprint.
///
/// - A run that differs from its vector fails: something changed a digest.
/// - A profile whose parameters changed (its fingerprint) under the same name fails: a fuel
///   price or a limit must not change without a new profile name, since every validator
///   that still runs the old rules would be slashed.
///
/// After a deliberate change (a new profile), regenerate the file:
/// `POE_WRITE_GOLDEN=1 swift test --filter GoldenVectorTests` (docs/JOBS.md, "Profiles").
@Suite struct GoldenVectorTests {
    /// One example job with the input and limits it is run with (those of `ClusterHarness`
    /// where it runs the job, small budgets for jobs that only stop at their fuel limit).
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var module: String
        /// A file of cluster/jobs, or literal text (the mode line of the benchmark jobs).
        var input: Input
        var fuelLimit: UInt64
        var memoryLimitPages: UInt32 = 1_024

        enum Input: Sendable {
            case none, file(String), text(String)
        }

        var description: String { name }

        func inputBytes() throws -> [UInt8] {
            switch input {
            case .none: return []
            case .file(let name): return try JobFixtures.bytes(name)
            case .text(let text): return Array(text.utf8)
            }
        }

        /// The job as a validator runs it: the job ID is SHA-256 of "golden/<name>", output
        /// and log bounds are the node's defaults.
        func run() throws -> ExecutionResult {
            let code = try JobFixtures.bytes(module)
            let input = try inputBytes()
            let job = JobExecution(
                jobID: .sha256("golden/\(name)"), codeHash: .sha256(code), inputHash: .sha256(input),
                fuelLimit: fuelLimit, memoryLimitPages: memoryLimitPages)
            return Executor.run(job, code: code, input: input)
        }
    }

    static let cases: [Case] = [
        Case(name: "wordcount", module: "wordcount.wasm", input: .file("wordcount-input.txt"), fuelLimit: 1_000_000_000),
        Case(name: "logreg", module: "logreg.wasm", input: .file("logreg-data.csv"), fuelLimit: 5_000_000_000),
        Case(name: "nbody", module: "nbody.wasm", input: .file("nbody-input.txt"), fuelLimit: 5_000_000_000),
        Case(name: "forever", module: "forever.wasm", input: .none, fuelLimit: 20_000_000),
        Case(name: "hostinfo", module: "hostinfo.wasm", input: .none, fuelLimit: 1_000_000_000),
        Case(name: "trap", module: "trap.wasm", input: .none, fuelLimit: 1_000_000_000),
        Case(name: "memhog", module: "memhog.wasm", input: .none, fuelLimit: 1_000_000_000, memoryLimitPages: 64),
        Case(name: "randloop", module: "randloop.wasm", input: .none, fuelLimit: 50_000_000, memoryLimitPages: 64),
        Case(name: "nanbits", module: "nanbits.wasm", input: .file("nanbits-input.txt"), fuelLimit: 1_000_000_000),
        Case(name: "hostcalls-stdout", module: "hostcalls.wasm", input: .text("stdout 1\n"), fuelLimit: 10_000_000),
        Case(name: "hostcalls-grow", module: "hostcalls.wasm", input: .text("grow 1\n"), fuelLimit: 100_000_000,
             memoryLimitPages: 64),
        Case(name: "hostcalls-path", module: "hostcalls.wasm", input: .text("path 4096\n"), fuelLimit: 10_000_000),
        Case(name: "bulkmem-fill", module: "bulkmem.wasm", input: .text("fill 65536\n"), fuelLimit: 10_000_000),
        Case(name: "hostcalls-table", module: "hostcalls.wasm", input: .text("table 1000\n"), fuelLimit: 100_000_000),
    ]

    /// The committed file.
    struct Vectors: Codable, Equatable {
        var profile: String
        var fingerprint: String
        var vectors: [Vector]
    }

    struct Vector: Codable, Equatable {
        var name: String
        var outcome: String
        /// The outcome's canonical encoding in hex: what the digest commits to.
        var outcomeBytes: String
        var fuelUsed: UInt64
        var outputHash: String
        var logHash: String
        var resultDigest: String

        init(name: String, result: ExecutionResult) {
            self.name = name
            outcome = result.outcome.description
            outcomeBytes = Hex.encode(result.outcome.wireBytes)
            fuelUsed = result.fuelUsed
            outputHash = result.outputHash.hex
            logHash = result.logHash.hex
            resultDigest = result.resultDigest.hex
        }
    }

    static let file = JobFixtures.packageRoot.appendingPathComponent("Tests/PoEExecutorTests/golden-vectors.json")
    static let writing = ProcessInfo.processInfo.environment["POE_WRITE_GOLDEN"] == "1"

    static func committed() throws -> Vectors {
        try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: file))
    }

    @Test(.disabled(if: writing)) func theVectorsAreForTheCurrentProfile() throws {
        let vectors = try Self.committed()
        let profile = ExecutionProfile.current
        #expect(vectors.profile == profile.name, "the vectors are for \(vectors.profile): regenerate them for \(profile.name)")
        if vectors.profile == profile.name {
            #expect(
                vectors.fingerprint == profile.fingerprint.hex,
                "\(profile.name)'s parameters changed but its name did not: name a new profile (docs/JOBS.md, \"Profiles\")")
        }
        #expect(vectors.vectors.map(\.name) == Self.cases.map(\.name))
    }

    @Test(.disabled(if: writing), arguments: cases)
    func jobReproducesItsVector(_ job: Case) throws {
        let expected = try #require(try Self.committed().vectors.first { $0.name == job.name }, "no vector for \(job.name)")
        let actual = Vector(name: job.name, result: try job.run())
        #expect(actual.outcome == expected.outcome)
        #expect(actual.outcomeBytes == expected.outcomeBytes)
        #expect(actual.fuelUsed == expected.fuelUsed)
        #expect(actual.outputHash == expected.outputHash)
        #expect(actual.logHash == expected.logHash)
        #expect(actual.resultDigest == expected.resultDigest)
    }

    /// Rewrites `golden-vectors.json` from this build; only with POE_WRITE_GOLDEN=1.
    @Test(.enabled(if: writing)) func writeVectors() throws {
        let profile = ExecutionProfile.current
        let vectors = Vectors(
            profile: profile.name, fingerprint: profile.fingerprint.hex,
            vectors: try Self.cases.map { Vector(name: $0.name, result: try $0.run()) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (encoder.encode(vectors) + Data("\n".utf8)).write(to: Self.file)
    }
}
