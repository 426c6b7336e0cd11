import Foundation
import PoECrypto
import Testing
@testable import PoELedger

@Suite struct DurabilityTests {
    @Test func reopeningAFileLedgerKeepsHeightAndRoot() throws {
        let path = Fixtures.temporaryPath()
        let rootBefore: Digest
        do {
            let driver = Driver(ledger: try Ledger.open(path: path, genesis: Fixtures.genesis()))
            try driver.run(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 7))
            _ = try driver.submitJob()
            rootBefore = try driver.ledger.stateRoot()
        }
        let reopened = try Ledger.open(path: path, genesis: Fixtures.genesis())
        #expect(try reopened.height() == 2)
        #expect(try reopened.stateRoot() == rootBefore)
    }

    @Test func aFileLedgerSyncsEveryCommitInWALMode() throws {
        let ledger = try Ledger.open(path: Fixtures.temporaryPath(), genesis: Fixtures.genesis())
        #expect(try ledger.pragmaForTesting("journal_mode") == "wal")
        #expect(try ledger.pragmaForTesting("synchronous") == "2")  // FULL
        #expect(try ledger.pragmaForTesting("journal_size_limit") == "\(Ledger.walBytesKept)")
    }

    @Test func reapplyingABatchIsANoOpReturningTheStoredReceipt() throws {
        let driver = try Driver()
        let batch = Batch(height: 1, transactions: [driver.transaction(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 7))])
        let first = try driver.ledger.apply(batch: batch)
        let root = try driver.ledger.stateRoot()
        let again = try driver.ledger.apply(batch: batch)
        #expect(again == first)
        #expect(try driver.ledger.stateRoot() == root)
        #expect(try driver.balance(9) == 7)
    }

    @Test func aDifferentBatchAtAnAppliedHeightIsRefused() throws {
        let driver = try Driver()
        try driver.apply([])
        #expect(throws: LedgerError.conflictingBatch(height: 1)) {
            try driver.ledger.apply(batch: Batch(height: 1, transactions: [driver.transaction(Keys.account(0), .withdraw)]))
        }
    }

    @Test func aHeightGapIsRefusedAndChangesNothing() throws {
        let driver = try Driver()
        let root = try driver.ledger.stateRoot()
        #expect(throws: LedgerError.heightGap(expected: 1, got: 3)) {
            try driver.ledger.apply(batch: Batch(height: 3, transactions: []))
        }
        #expect(try driver.ledger.stateRoot() == root)
    }

    @Test func anOversizedInMemoryTransactionIsRefusedNotATrap() throws {
        let driver = try Driver()
        var transaction = driver.transaction(Keys.account(0), .withdraw)
        transaction.body = [UInt8](repeating: 0, count: SignedTransaction.bodyBytesMax + 1)
        #expect(throws: LedgerError.oversizedTransaction(index: 0, bytes: SignedTransaction.bodyBytesMax + 1)) {
            try driver.ledger.apply(batch: Batch(height: 1, transactions: [transaction]))
        }
        #expect(try driver.ledger.height() == 0)
    }

    @Test func anotherGenesisCannotOpenTheDatabase() throws {
        let path = Fixtures.temporaryPath()
        _ = try Ledger.open(path: path, genesis: Fixtures.genesis())
        var other = Fixtures.genesis()
        other.chainID = "other"
        #expect(throws: LedgerError.self) { try Ledger.open(path: path, genesis: other) }
    }

    /// A batch that hits a database fault part-way is rolled back whole: the ledger stays at
    /// the previous batch boundary. The fault is a CHECK violation planted with a trigger.
    @Test func aFaultMidBatchLeavesTheLedgerAtTheBatchBoundary() throws {
        let path = Fixtures.temporaryPath()
        let driver = Driver(ledger: try Ledger.open(path: path, genesis: Fixtures.genesis()))
        try driver.run(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 7))
        let root = try driver.ledger.stateRoot()
        try plantFault(path: path)
        let batch = Batch(
            height: 2,
            transactions: [
                driver.transaction(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 1)),
                driver.transaction(Keys.account(1), .publishCode(name: "boom", codeHash: Digest.sha256("x"))),
            ])
        #expect(throws: (any Error).self) { try driver.ledger.apply(batch: batch) }
        #expect(try driver.ledger.height() == 1)
        #expect(try driver.ledger.stateRoot() == root)
    }

    private func plantFault(path: String) throws {
        // A second connection adds a trigger that fails inserts of code named "boom".
        let ledger = try Ledger.open(path: path, genesis: Fixtures.genesis())
        try ledger.executeForTesting(
            sql: "CREATE TRIGGER boom BEFORE INSERT ON code WHEN NEW.name = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    }
}
