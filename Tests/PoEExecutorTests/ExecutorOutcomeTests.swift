import Foundation
import PoECrypto
import Testing

@testable import PoEExecutor

@Suite struct ExecutorOutcomeTests {
    @Test func wordcountHashesAndCountsItsInput() throws {
        let input = try JobFixtures.bytes("wordcount-input.txt")
        let result = try JobFixtures.run("wordcount.wasm", input: input)
        #expect(result.outcome == .success(exitCode: 0))
        let lines = JobFixtures.text(result.output).split(separator: "\n").map(String.init)
        #expect(lines.first == "sha256 \(Digest.sha256(input).hex)")
        #expect(lines.contains("bytes \(input.count)"))
        #expect(lines.contains("lines \(input.filter { $0 == 0x0A }.count)"))
        let words = JobFixtures.text(input).split(whereSeparator: { $0.isWhitespace }).count
        #expect(lines.contains("words \(words)"))
        #expect(JobFixtures.text(result.log).hasPrefix("wordcount: read"))
        #expect(result.fuelUsed > 0)
    }

    @Test func logregLearnsTheShippedData() throws {
        let input = try JobFixtures.bytes("logreg-data.csv")
        let result = try JobFixtures.run("logreg.wasm", input: input)
        #expect(result.outcome == .success(exitCode: 0))
        let text = JobFixtures.text(result.output)
        #expect(text.contains("rows 200"))
        // The data are separable enough that training must beat a coin by far.
        let accuracy = text.split(separator: "\n").first { $0.hasPrefix("accuracy ") }
        let correct = accuracy.flatMap { Int($0.dropFirst("accuracy ".count).split(separator: "/")[0]) }
        #expect((correct ?? 0) >= 170)
    }

    @Test func nbodyConservesEnergyAndCanonicalizesNaN() throws {
        let result = try JobFixtures.run("nbody.wasm", input: Array("1000".utf8))
        #expect(result.outcome == .success(exitCode: 0))
        let text = JobFixtures.text(result.output)
        #expect(text.contains("energy_before -0.169075164"))
        #expect(text.contains("nan_canonical nan 0x7ff8000000000000\n"))
        #expect(text.contains("steps 1000"))
    }

    @Test func hostIsFixedAndRandomIsSeededByJobID() throws {
        let first = try JobFixtures.run("hostinfo.wasm", id: "job-a")
        let again = try JobFixtures.run("hostinfo.wasm", id: "job-a")
        let other = try JobFixtures.run("hostinfo.wasm", id: "job-b")
        #expect(first.outcome == .success(exitCode: 0))
        let text = JobFixtures.text(first.output)
        #expect(text.contains("argc 1 argv0 job"))
        #expect(text.contains("envc 0"))
        #expect(text.contains("realtime 1704067200.000000000"))
        #expect(text.contains("monotonic 0.000000000"))
        #expect(text.contains("fopen refused"))
        #expect(first.output == again.output)
        #expect(first.output != other.output)  // the random line differs
    }

    @Test func foreverStopsAtItsFuelLimit() throws {
        // 10 million: its initial memory (17 pages, 1.1 million at one unit a byte) is paid first.
        let result = try JobFixtures.run("forever.wasm", fuelLimit: 10_000_000)
        #expect(result.outcome == .outOfFuel)
        #expect(result.fuelUsed <= 10_000_000)
        #expect(result.fuelUsed > 9_900_000)
    }

    @Test func trapIsAnOutcomeAndKeepsEarlierOutput() throws {
        let result = try JobFixtures.run("trap.wasm")
        #expect(result.outcome == .trap(.unreachable))
        #expect(JobFixtures.text(result.output) == "about to trap\n")
    }

    @Test func memoryLimitEndsAsOutOfMemory() throws {
        let result = try JobFixtures.run("memhog.wasm", memoryLimitPages: 64)  // 4 MiB
        #expect(result.outcome == .outOfMemory)
        #expect(JobFixtures.text(result.log).hasPrefix("malloc failed after"))
    }

    @Test func initialMemoryOverTheLimitIsOutOfMemory() throws {
        // wasm-ld gives these modules 2 pages of initial memory (1 MiB stack + data): 1 page is too few.
        let result = try JobFixtures.run("trap.wasm", memoryLimitPages: 1)
        #expect(result.outcome == .outOfMemory)
        #expect(result.output.isEmpty)
    }

    @Test func garbageIsAMalformedModule() {
        let code: [UInt8] = Array("definitely not wasm".utf8)
        let result = Executor.run(JobFixtures.job(code: code, input: []), code: code, input: [])
        #expect(result.outcome == .invalidModule(.malformed))
        #expect(result.fuelUsed == 0)
    }

    @Test func importOutsideTheABIFailsInstantiation() {
        // (module (type (func)) (import "env" "f" (func (type 0))))
        let code: [UInt8] = [
            0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
            0x02, 0x09, 0x01, 0x03, 0x65, 0x6E, 0x76, 0x01, 0x66, 0x00, 0x00,
        ]
        let result = Executor.run(JobFixtures.job(code: code, input: []), code: code, input: [])
        #expect(result.outcome == .invalidModule(.instantiation))
    }

    @Test func missingEntryIsABadEntryPoint() throws {
        let result = try JobFixtures.run("forever.wasm", entry: "no_such_export")
        #expect(result.outcome == .invalidModule(.entry))
    }

    @Test func codeThatDoesNotMatchItsHashIsNotRun() throws {
        let code = try JobFixtures.bytes("wordcount.wasm")
        var spec = JobFixtures.job(code: code, input: [])
        spec.codeHash = .sha256("some other code")
        let result = Executor.run(spec, code: code, input: [])
        #expect(result.outcome == .hashMismatch(.code))
        #expect(result.fuelUsed == 0)
        #expect(result.output.isEmpty)
    }

    @Test func inputThatDoesNotMatchItsHashIsNotRun() throws {
        let code = try JobFixtures.bytes("wordcount.wasm")
        let spec = JobFixtures.job(code: code, input: Array("promised".utf8))
        let result = Executor.run(spec, code: code, input: Array("delivered".utf8))
        #expect(result.outcome == .hashMismatch(.input))
    }

    @Test func tooMuchOutputStopsTheRun() throws {
        let input = try JobFixtures.bytes("wordcount-input.txt")
        let result = try JobFixtures.run("wordcount.wasm", input: input, outputBytesMax: 16)
        #expect(result.outcome == .outputTooLarge)
        #expect(result.output.count <= 16)
    }

    @Test func runFromTheStoreChecksEveryBlob() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        let code = try JobFixtures.bytes("wordcount.wasm")
        let input = try JobFixtures.bytes("wordcount-input.txt")
        let spec = JobFixtures.job(code: try store.get(try store.put(code)), input: try store.get(try store.put(input)))
        let fromStore = try Executor.run(spec, store: store)
        #expect(fromStore.outcome == .success(exitCode: 0))
        #expect(fromStore == Executor.run(spec, code: code, input: input))
        #expect(try store.get(fromStore.outputHash) == fromStore.output)
        #expect(try store.get(fromStore.logHash) == fromStore.log)
    }

    @Test func corruptedCodeBlobIsRefused() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        let code = try JobFixtures.bytes("wordcount.wasm")
        let codeHash = try store.put(code)
        let inputHash = try store.put([])
        var damaged = code
        damaged[damaged.count / 2] ^= 0xFF
        try Data(damaged).write(to: store.path(of: codeHash))
        let spec = JobExecution(jobID: .sha256("j"), codeHash: codeHash, inputHash: inputHash)
        #expect(throws: BlobStoreError.corrupted(expected: codeHash, actual: .sha256(damaged))) {
            try Executor.run(spec, store: store)
        }
    }

    @Test func trapTextsMapToKinds() {
        #expect(Executor.trapKind("Trap: integer divide by zero") == .integerDivideByZero)
        #expect(Executor.trapKind("Trap: call stack exhausted\n0: f") == .callStackExhausted)
        #expect(Executor.trapKind("Trap: something new") == .other)
    }
}

@Suite struct HostCallFuelTests {
    @Test func randomBytesAreChargedBeforeTheyAreMade() throws {
        // randloop asks for 1 MiB per random_get: ten calls' worth of fuel pays for ten calls
        // and the loop around them, and the eleventh charge is refused whole.
        let prices = ExecutionProfile.current.fuel
        let perCall = prices.hostCall + (1 << 20) * prices.randomByte
        let result = try JobFixtures.run("randloop.wasm", fuelLimit: 10 * perCall + 1_000, memoryLimitPages: 64)
        #expect(result.outcome == .outOfFuel)
        #expect(result.fuelUsed <= 10 * perCall + 1_000)
        #expect(result.fuelUsed > 9 * perCall)
    }

    @Test func writingOutputCostsFuel() throws {
        let input = try JobFixtures.bytes("wordcount-input.txt")
        let small = try JobFixtures.run("wordcount.wasm", input: [])
        let large = try JobFixtures.run("wordcount.wasm", input: input + input + input + input)
        #expect(large.fuelUsed > small.fuelUsed)
    }
}
