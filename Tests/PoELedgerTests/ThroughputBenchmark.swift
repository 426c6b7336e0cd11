import Foundation
import PoECrypto
import Testing
@testable import PoELedger

/// A figure, not a check: run with POE_LEDGER_BENCH=1 (release build for a real number).
@Suite struct ThroughputBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["POE_LEDGER_BENCH"] == "1"))
    func transfersAndJobsOnAFileLedger() throws {
        let ledger = try Ledger.open(path: Fixtures.temporaryPath(), genesis: Fixtures.genesis(validatorCount: 4))
        let driver = Driver(ledger: ledger)
        let batchCount = 20
        let perBatch = 500
        // Distinct recipients, so the state ends with ~10 000 accounts for the root figure.
        let recipients = (0..<batchCount * perBatch).map { PrivateKey.deterministic(seed: "bench/\($0)").publicKey }
        var batches: [[SignedTransaction]] = []
        for _ in 0..<batchCount {
            batches.append((0..<perBatch).map { index in
                driver.transaction(Keys.account(index % 8), .transfer(to: recipients[batches.count * perBatch + index], amount: 1))
            })
        }
        let clock = ContinuousClock()
        let applied = try clock.measure { for batch in batches { try driver.apply(batch) } }
        let rooted = try clock.measure { _ = try ledger.stateRoot() }
        let seconds = Double(applied.components.seconds) + Double(applied.components.attoseconds) / 1e18
        print("ledger bench: \(batchCount * perBatch) transfers in \(batchCount) batches: \(applied) (\(Int(Double(batchCount * perBatch) / seconds)) tx/s); stateRoot over \(try ledger.snapshot().accounts.count) accounts: \(rooted)")
    }
}
