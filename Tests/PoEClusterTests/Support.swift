import Foundation
import Logging
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

/// Polls `condition` until it holds or `seconds` pass: the nodes run on real threads
/// and real sockets.
func eventually(seconds: Double = 30, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The example jobs shipped in cluster/jobs.
func exampleJob(_ name: String) throws -> [UInt8] {
    var root = URL(fileURLWithPath: #filePath)
    while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
        root.deleteLastPathComponent()
    }
    return [UInt8](try Data(contentsOf: root.appendingPathComponent("cluster/jobs/\(name)")))
}

/// The `poe` executable built beside this test bundle.
func poeBinary() throws -> URL {
    var directory = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("poe")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return try #require(nil as URL?, "build the poe executable first (swift build --build-tests builds it)")
}

/// A fresh folder for a testnet, removed by the caller.
func scratchFolder(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("poe-\(name)-\(UUID().uuidString)")
}

/// Ports for one test's cluster: peers from the base, APIs from base + 50.
func portBase() throws -> Int { try LoopbackPorts.reserve(100) }

/// The example jobs a test can afford in a debug build (WasmKit is ~20x slower there).
func quickJobs() throws -> [HarnessJob] {
    let all = try HarnessJob.examples(folder: packageRoot().appendingPathComponent("cluster/jobs"))
    return all.filter { $0.name == "wordcount" || $0.name == "logreg" }
}

func packageRoot() -> URL {
    var root = URL(fileURLWithPath: #filePath)
    while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
        root.deleteLastPathComponent()
    }
    return root
}

/// Puts a job's code and input in node 0's blob store only and submits it; returns the job ID.
func submitJob(
    _ cluster: LocalCluster, code: [UInt8], input: [UInt8], fuel: UInt64, deadlineHeights: UInt64
) throws -> Digest {
    let codeHash = try cluster.node(0).blobs.put(code)
    let inputHash = try cluster.node(0).blobs.put(input)
    let spec = JobSpec(
        code: .hash(codeHash), inputHash: inputHash, entryPoint: "_start", fuelLimit: fuel, memoryLimitPages: 1_024,
        deadlineHeights: deadlineHeights)
    let transaction = try cluster.submit(.submitJob(spec: spec, fee: 9_000))
    return cluster.jobID(of: transaction, spec: spec)
}

/// Puts the word-count job in node 0's blob store only (the others must fetch it from
/// their peers) and submits it with a 9,000 fee; returns the job ID.
func submitWordCount(_ cluster: LocalCluster, deadlineHeights: UInt64 = 100) throws -> Digest {
    let code = try cluster.node(0).blobs.put(exampleJob("wordcount.wasm"))
    let input = try cluster.node(0).blobs.put(exampleJob("wordcount-input.txt"))
    let spec = JobSpec(
        code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: 10_000_000,
        memoryLimitPages: 256, deadlineHeights: deadlineHeights)
    let transaction = try cluster.submit(.submitJob(spec: spec, fee: 9_000))
    return cluster.jobID(of: transaction, spec: spec)
}
