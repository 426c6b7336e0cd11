import Foundation
import Testing

/// A mistyped flag is named as such, with the flag meant, even when the flag meant is a
/// required one (ArgumentParser alone reports the required flag as missing, which names
/// what the user did not type).
@Suite struct CommandLineTests {
    /// Runs `poe` with `arguments`; its exit status and what it wrote to stderr.
    static func poe(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = try poeBinary()
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(arguments: [
        (["submit", "--kye", "k.json", "--code", "job.wasm"], "--kye", "--key"),
        (["transfer", "--kye", "k.json", "--to", "ab", "--amount", "1"], "--kye", "--key"),
        (["node", "--hom", "home"], "--hom", "--home"),
        (["testnet", "--out", "x", "--nodez", "4"], "--nodez", "--nodes"),
        (["submit", "--key", "k.json", "--code", "job.wasm", "--fuell=9"], "--fuell", "--fuel"),
        (["key", "show", "k.json", "--jsn"], "--jsn", nil),
        (["sim", "--seeds", "1", "--no-falts"], "--no-falts", "--no-faults"),
    ])
    func aMistypedFlagIsNamed(arguments: [String], typo: String, meant: String?) throws {
        let (status, errors) = try Self.poe(arguments)
        #expect(status == 64, "a usage error: \(errors)")
        #expect(errors.contains("Unknown option '\(typo)'"), "\(errors)")
        if let meant {
            #expect(errors.contains("did you mean '\(meant)'?"), "\(errors)")
        }
        #expect(errors.contains("Usage: poe \(arguments[0])"), "the command's own usage: \(errors)")
    }

    @Test func aMissingFlagIsStillReportedAsMissing() throws {
        let (status, errors) = try Self.poe(["submit", "--code", "job.wasm"])
        #expect(status == 64)
        #expect(errors.contains("Missing expected argument '--key <key>'"), "\(errors)")
        #expect(!errors.contains("Unknown option"), "\(errors)")
    }

    @Test func anOptionFarFromEveryFlagGetsNoGuess() throws {
        let (status, errors) = try Self.poe(["status", "--zzzzzzzz"])
        #expect(status == 64)
        #expect(errors.contains("Unknown option '--zzzzzzzz'") && !errors.contains("did you mean"), "\(errors)")
    }
}
