import Foundation
import PoECrypto

@testable import PoEExecutor

/// The committed example jobs, loaded from the repository (no C toolchain needed).
enum JobFixtures {
    /// The package root: this file is at Tests/PoEExecutorTests/JobFixtures.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let jobsDirectory = packageRoot.appendingPathComponent("cluster/jobs")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: jobsDirectory.appendingPathComponent(name)))
    }

    static func job(
        code: [UInt8], input: [UInt8], id: String = "test-job", fuelLimit: UInt64 = 2_000_000_000,
        memoryLimitPages: UInt32 = 256, outputBytesMax: UInt32 = 1 << 16, entry: String = "_start"
    ) -> JobExecution {
        JobExecution(
            jobID: .sha256(id), codeHash: .sha256(code), inputHash: .sha256(input), entry: entry,
            fuelLimit: fuelLimit, memoryLimitPages: memoryLimitPages, outputBytesMax: outputBytesMax)
    }

    static func run(
        _ module: String, input: [UInt8] = [], id: String = "test-job", fuelLimit: UInt64 = 2_000_000_000,
        memoryLimitPages: UInt32 = 256, outputBytesMax: UInt32 = 1 << 16, entry: String = "_start"
    ) throws -> ExecutionResult {
        let code = try bytes(module)
        let spec = job(
            code: code, input: input, id: id, fuelLimit: fuelLimit, memoryLimitPages: memoryLimitPages,
            outputBytesMax: outputBytesMax, entry: entry)
        return Executor.run(spec, code: code, input: input)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A fresh, empty directory for a blob store.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("poe-exec-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
