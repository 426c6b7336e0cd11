import Foundation
import Logging
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

/// Polls `condition` until it holds or `seconds` pass: the nodes run on real threads
/// and real sockets.
func eventually(seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}

/// The example jobs shipped in cluster/jobs.
func exampleJob(_ name: String) throws -> [UInt8] {
    var root = URL(fileURLWithPath: #filePath)
    while root.path != "/" && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
        root.deleteLastPathComponent()
    }
    return [UInt8](try Data(contentsOf: root.appendingPathComponent("cluster/jobs/\(name)")))
}
