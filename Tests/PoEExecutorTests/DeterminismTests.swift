import Foundation
import PoECrypto
import Testing

@testable import PoEExecutor

/// Determinism is tested, not assumed: the same job must give the same digest every time,
/// in this process and in separate ones.
@Suite struct DeterminismTests {
    static let runCount = 20

    /// (module, input)
    static let examples: [(String, [UInt8])] = {
        let wordcount = (try? JobFixtures.bytes("wordcount-input.txt")) ?? []
        // The header and 60 rows: training on all 200 takes ~1 s per run under a debug WasmKit.
        let csvText = JobFixtures.text((try? JobFixtures.bytes("logreg-data.csv")) ?? [])
        let csv = Array(csvText.split(separator: "\n").prefix(61).joined(separator: "\n").utf8)
        return [
            ("wordcount.wasm", wordcount),
            ("logreg.wasm", csv),
            ("nbody.wasm", Array("200".utf8)),
            ("hostinfo.wasm", []),
        ]
    }()

    @Test(arguments: 0..<4)
    func exampleJobGivesOneDigestOverManyRuns(index: Int) throws {
        let (module, input) = Self.examples[index]
        let first = try JobFixtures.run(module, input: input)
        #expect(first.outcome == .success(exitCode: 0), "\(module): \(first.outcome)")
        for _ in 1..<Self.runCount {
            let again = try JobFixtures.run(module, input: input)
            #expect(again.resultDigest == first.resultDigest, "\(module) changed its digest")
            #expect(again.output == first.output)
        }
    }

    @Test func foreverJobStopsWithOneDigest() throws {
        // 3 million: past the 1.1 million its initial memory costs, so the loop runs.
        let first = try JobFixtures.run("forever.wasm", fuelLimit: 3_000_000)
        #expect(first.outcome == .outOfFuel)
        for _ in 1..<Self.runCount {
            let again = try JobFixtures.run("forever.wasm", fuelLimit: 3_000_000)
            #expect(again.resultDigest == first.resultDigest)
            #expect(again.fuelUsed == first.fuelUsed)
        }
    }

    @Test func runsInterleavedOnThreadsAgree() async throws {
        let input = try JobFixtures.bytes("wordcount-input.txt")
        let expected = try JobFixtures.run("wordcount.wasm", input: input).resultDigest
        let digests = try await withThrowingTaskGroup(of: Digest.self) { group in
            for _ in 0..<8 {
                group.addTask { try JobFixtures.run("wordcount.wasm", input: input).resultDigest }
            }
            return try await group.reduce(into: [Digest]()) { $0.append($1) }
        }
        #expect(digests.count == 8)
        #expect(digests.allSatisfy { $0 == expected })
    }

    /// Spawns the `poe` executable built next to this test bundle, three times per job, and
    /// compares each printed digest with the one computed in this process.
    @Test func separateProcessesAgreeWithThisOne() throws {
        let poe = try #require(Self.poeBinary(), "build the poe executable first (swift build)")
        let cases: [(String, String?, String)] = [
            ("wordcount.wasm", "wordcount-input.txt", "_start"),
            ("logreg.wasm", "logreg-data.csv", "_start"),
            ("forever.wasm", nil, "_start"),
        ]
        for (module, inputName, _) in cases {
            let input = try inputName.map { try JobFixtures.bytes($0) } ?? []
            let fuel: UInt64 = module == "forever.wasm" ? 5_000_000 : 2_000_000_000
            let local = try JobFixtures.run(module, input: input, id: "cross-process", fuelLimit: fuel)
            for _ in 0..<3 {
                var arguments = ["run", "--code", JobFixtures.jobsDirectory.appendingPathComponent(module).path,
                                 "--job-id", Digest.sha256("cross-process").hex, "--fuel", String(fuel),
                                 "--memory-pages", "256", "--output-max", String(1 << 16), "--digest-only"]
                if let inputName {
                    arguments += ["--input", JobFixtures.jobsDirectory.appendingPathComponent(inputName).path]
                }
                let printed = try Self.output(of: poe, arguments)
                #expect(printed.trimmingCharacters(in: .whitespacesAndNewlines) == local.resultDigest.hex, "\(module)")
            }
        }
    }

    static func poeBinary() -> URL? {
        // The test bundle sits in .build/<config>/; so does the poe executable.
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("poe")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = JobFixtures.packageRoot.appendingPathComponent(".build/debug/poe")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }

    static func output(of executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
