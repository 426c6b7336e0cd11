import PoECrypto
import Testing

@testable import PoEExecutor

/// Every NaN a job computes is the canonical NaN, whatever the host's floating-point unit
/// produces: the same digest on x86 (whose default NaN is negative) and ARM.
@Suite struct NaNCanonicalizationTests {
    static let canonicalF64 = "7ff8000000000000"
    static let canonicalF32 = "7fc00000"

    /// `nanbits` computes each NaN-producing operation from operands it reads at run time
    /// (0, -1, inf, -inf and two NaNs with payloads), so nothing is folded by the compiler.
    @Test func everyNaNResultIsCanonical() throws {
        let result = try JobFixtures.run("nanbits.wasm", input: try JobFixtures.bytes("nanbits-input.txt"))
        #expect(result.outcome == .success(exitCode: 0))
        let lines = JobFixtures.text(result.output).split(separator: "\n")
        #expect(lines.count == 28)
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let name = fields.dropLast().joined(separator: " ")
            let bits = String(fields.last ?? "")
            let expected = name.hasPrefix("f32") || name.hasPrefix("libm logf") ? Self.canonicalF32 : Self.canonicalF64
            #expect(bits == expected, "\(name): \(bits)")
        }
    }
}
