import Foundation
import Testing

/// The core must stay pure: no clock, no randomness, no I/O, no threads (STYLE.md §3.6).
@Suite struct PurityTests {
    @Test func theCoreSourcesUseNoClockRandomnessIOOrThreads() throws {
        let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let sources = testsDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/PBFT")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 10)
        let forbidden = ["Date()", ".random", "SecureRandom", "import Foundation", "Thread", "DispatchQueue", "Task {", "generate()"]
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for word in forbidden { #expect(!text.contains(word), "\(file) uses \(word)") }
        }
    }
}
