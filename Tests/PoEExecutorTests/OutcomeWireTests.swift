import PoECrypto
import PoEWire
import Testing

@testable import PoEExecutor

@Suite struct OutcomeWireTests {
    static let outcomes: [Outcome] =
        [.success(exitCode: 0), .success(exitCode: 7), .outOfFuel, .outOfMemory, .outputTooLarge]
        + TrapKind.allCases.map { .trap($0) }
        + InvalidModuleReason.allCases.map { .invalidModule($0) }
        + HashMismatchKind.allCases.map { .hashMismatch($0) }

    @Test func everyOutcomeRoundTrips() throws {
        for outcome in Self.outcomes {
            #expect(try Outcome.decode(wireBytes: outcome.wireBytes) == outcome)
        }
    }

    @Test func everyOutcomeHasItsOwnEncoding() {
        let encodings = Set(Self.outcomes.map(\.wireBytes))
        #expect(encodings.count == Self.outcomes.count)
    }

    @Test func unknownTagsAreRefused() {
        #expect(throws: WireError.self) { try Outcome.decode(wireBytes: [7]) }
        #expect(throws: WireError.self) { try Outcome.decode(wireBytes: [1, 99]) }
        #expect(throws: WireError.self) { try Outcome.decode(wireBytes: [0, 0, 0]) }
    }

    @Test func resultDigestCommitsToEveryField() {
        let profile = ExecutionProfile.current.fingerprint
        let base = ExecutionResult(
            jobID: .sha256("job"), profile: profile, outcome: .success(exitCode: 0), output: [1], log: [2],
            logTruncated: false, fuelUsed: 10)
        let variants = [
            ExecutionResult(jobID: .sha256("other"), profile: profile, outcome: .success(exitCode: 0), output: [1], log: [2], logTruncated: false, fuelUsed: 10),
            ExecutionResult(jobID: .sha256("job"), profile: .sha256("other profile"), outcome: .success(exitCode: 0), output: [1], log: [2], logTruncated: false, fuelUsed: 10),
            ExecutionResult(jobID: .sha256("job"), profile: profile, outcome: .success(exitCode: 1), output: [1], log: [2], logTruncated: false, fuelUsed: 10),
            ExecutionResult(jobID: .sha256("job"), profile: profile, outcome: .success(exitCode: 0), output: [3], log: [2], logTruncated: false, fuelUsed: 10),
            ExecutionResult(jobID: .sha256("job"), profile: profile, outcome: .success(exitCode: 0), output: [1], log: [3], logTruncated: false, fuelUsed: 10),
            ExecutionResult(jobID: .sha256("job"), profile: profile, outcome: .success(exitCode: 0), output: [1], log: [2], logTruncated: false, fuelUsed: 11),
        ]
        for variant in variants { #expect(variant.resultDigest != base.resultDigest) }
    }

    @Test func jobExecutionRoundTripsAndRefusesBadLimits() throws {
        let job = JobExecution(jobID: .sha256("j"), codeHash: .sha256("c"), inputHash: .sha256("i"), entry: "run", fuelLimit: 5)
        #expect(try JobExecution.decode(wireBytes: job.wireBytes) == job)
        var bytes = job.wireBytes
        // memoryLimitPages sits after 3 digests, the entry (4 + 3 bytes) and the fuel limit.
        let pagesOffset = 96 + 7 + 8
        bytes.replaceSubrange(pagesOffset..<(pagesOffset + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.self) { try JobExecution.decode(wireBytes: bytes) }
    }
}
