import PoECrypto
import Testing

@testable import PoEExecutor

/// Tiny modules written byte by byte, for the outcomes C cannot reach directly. Each runs
/// through the real WasmKit, so the trap texts the executor classifies are checked too.
@Suite struct HandWrittenModuleTests {
    static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
    /// Export section: function 0 as "_start".
    static let exportStart: [UInt8] = [0x07, 0x0A, 0x01, 0x06] + Array("_start".utf8) + [0x00, 0x00]
    /// Function section: one function of type 0.
    static let oneFunction: [UInt8] = [0x03, 0x02, 0x01, 0x00]
    /// Type sections: `() -> ()` and `() -> i32`.
    static let voidType: [UInt8] = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]
    static let i32Type: [UInt8] = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F]

    /// A code section holding one body with no locals.
    static func code(_ instructions: [UInt8]) -> [UInt8] {
        let body: [UInt8] = [0x00] + instructions + [0x0B]
        let content: [UInt8] = [0x01, UInt8(body.count)] + body
        return [0x0A, UInt8(content.count)] + content
    }

    static func run(_ module: [UInt8], fuelLimit: UInt64 = 10_000_000) -> ExecutionResult {
        let job = JobFixtures.job(code: module, input: [], fuelLimit: fuelLimit)
        return Executor.run(job, code: module, input: [])
    }

    @Test func entryReturningI32GivesItsExitCode() {
        let module = Self.header + Self.i32Type + Self.oneFunction + Self.exportStart + Self.code([0x41, 0x07])
        #expect(Self.run(module).outcome == .success(exitCode: 7))
    }

    @Test func divisionByZeroTraps() {
        // i32.const 1, i32.const 0, i32.div_s
        let module = Self.header + Self.i32Type + Self.oneFunction + Self.exportStart
            + Self.code([0x41, 0x01, 0x41, 0x00, 0x6D])
        #expect(Self.run(module).outcome == .trap(.integerDivideByZero))
    }

    @Test func unboundedRecursionExhaustsTheStackTheSameWayEveryTime() {
        // call 0: the function calls itself forever.
        let module = Self.header + Self.voidType + Self.oneFunction + Self.exportStart + Self.code([0x10, 0x00])
        let first = Self.run(module)
        #expect(first.outcome == .trap(.callStackExhausted))
        #expect(Self.run(module).resultDigest == first.resultDigest)
    }

    @Test func invalidFunctionBodyIsRefusedBeforeAnythingRuns() {
        // i32.add with an empty operand stack: fails validation, found at instantiation
        // because compilation is eager.
        let module = Self.header + Self.voidType + Self.oneFunction + Self.exportStart + Self.code([0x6A])
        let result = Self.run(module)
        #expect(result.outcome == .invalidModule(.instantiation))
        #expect(result.fuelUsed == 0)
    }
}
