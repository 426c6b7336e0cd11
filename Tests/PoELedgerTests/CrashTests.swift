import Foundation
import PoECrypto
import Testing
@testable import PoELedger

/// A writer process killed with SIGKILL in the middle of applying batches: the ledger it
/// leaves must be exactly the ledger of some prefix of the batches, with every receipt.
/// (A process crash, not a power cut: the page cache survives a SIGKILL.)
@Suite struct CrashTests {
    static let childPathVariable = "POE_LEDGER_CRASH_CHILD"
    static let seed: UInt64 = 0xC0A5_4ED

    /// The child: applies the seeded batches until it is killed.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[CrashTests.childPathVariable] != nil))
    func crashChild() throws {
        let path = try #require(ProcessInfo.processInfo.environment[CrashTests.childPathVariable])
        var model = RandomSequenceModel(seed: CrashTests.seed)
        let ledger = try Ledger.open(path: path, genesis: model.genesis)
        for height in 1...UInt64(20_000) { model.learn(try ledger.apply(batch: model.batch(height: height))) }
    }

    #if os(Linux)
    @Test func aKilledWriterLeavesTheLedgerAtABatchBoundary() throws {
        let path = Fixtures.temporaryPath()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["--testing-library", "swift-testing", "--filter", "crashChild"]
        child.environment = ProcessInfo.processInfo.environment.merging([CrashTests.childPathVariable: path]) { $1 }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Let it get going, then kill it wherever it is.
        var waitedMs = 0
        while waitedMs < 20_000, (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0) ?? 0 < 1_000_000 {
            usleep(20_000)
            waitedMs += 20
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()

        var model = RandomSequenceModel(seed: CrashTests.seed)
        let crashed = try Ledger.open(path: path, genesis: model.genesis)
        let height = try crashed.height()
        #expect(height > 0, "the child made no progress before the kill")
        print("crash test: killed after \(waitedMs) ms at height \(height)")
        let reference = try Ledger.open(path: nil, genesis: model.genesis)
        for h in 1...max(height, 1) where h <= height {
            let batch = model.batch(height: h)
            let receipt = try reference.apply(batch: batch)
            model.learn(receipt)
            #expect(try crashed.receipt(height: h) == receipt, "receipt of height \(h)")
        }
        #expect(try crashed.stateRoot() == reference.stateRoot())
        #expect(try crashed.receipt(height: height + 1) == nil)
        // The crashed ledger goes on from its boundary.
        let next = model.batch(height: height + 1)
        #expect(try crashed.apply(batch: next) == reference.apply(batch: next))
    }
    #endif
}
