import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

@Suite struct SnapshotTests {
    private func busyDriver() throws -> Driver {
        let driver = try Driver()
        try driver.run(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 77))
        try driver.run(Keys.account(1), .publishCode(name: "c", codeHash: Digest.sha256("c")))
        let job = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: job, digest: Digest.sha256("r"), node: node) }
        try driver.run(Keys.account(5), .register(stake: 1_000, endpoint: "h", nodeKey: Keys.node(5).publicKey))
        return driver
    }

    @Test func aRestoredLedgerHasTheRootAndStaysInStep() throws {
        let driver = try busyDriver()
        let snapshot = try driver.ledger.snapshot()
        let root = try driver.ledger.stateRoot()
        let shipped = try LedgerSnapshot.decode(wireBytes: snapshot.wireBytes)
        let restored = try Ledger.restore(path: Fixtures.temporaryPath(), genesis: Fixtures.genesis(), from: shipped, expectedRoot: root)
        #expect(try restored.stateRoot() == root)
        #expect(try restored.height() == driver.ledger.height())
        let next = Batch(height: try driver.ledger.height() + 1, transactions: [
            driver.transaction(Keys.account(2), .transfer(to: Keys.account(3).publicKey, amount: 5)),
        ])
        #expect(try restored.apply(batch: next) == driver.ledger.apply(batch: next))
        #expect(try restored.stateRoot() == driver.ledger.stateRoot())
        #expect(throws: LedgerError.receiptUnavailable(height: 1)) {
            try restored.apply(batch: Batch(height: 1, transactions: []))
        }
    }

    /// Checkpoints stream the state instead of reading it whole: the stream must be the
    /// snapshot's very bytes and root, whatever the chunk size.
    @Test func aStreamedSnapshotHasTheSnapshotsBytesAndRoot() throws {
        let driver = try busyDriver()
        let finalized = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: finalized, digest: Digest.sha256("r2"), node: node) }
        try driver.attest(job: finalized, digest: Digest.sha256("wrong"), node: 3)
        let open = try driver.submitJob()
        try driver.attest(job: open, digest: Digest.sha256("r3"), node: 0)
        let equivocation = TransactionBody.evidence(
            first: Fixtures.attestation(job: open, digest: Digest.sha256("r3"), node: 0),
            second: Fixtures.attestation(job: open, digest: Digest.sha256("r4"), node: 0))
        #expect(try driver.run(Keys.account(6), equivocation).succeeded)
        let snapshot = try driver.ledger.snapshot()
        let tableSizes = [
            snapshot.accounts.count, snapshot.validators.count, snapshot.epochMembers.count, snapshot.codes.count,
            snapshot.jobs.count, snapshot.attestations.count, snapshot.anchors.count, snapshot.evidence.count,
        ]
        #expect(!tableSizes.contains(0), "every table holds a row: \(tableSizes)")
        let whole = snapshot.wireBytes
        for chunkBytes in [1, 100, 64 << 10] {
            var chunks: [[UInt8]] = []
            let root = try driver.ledger.streamSnapshot(chunkBytes: chunkBytes) { chunks.append($0) }
            #expect(root == snapshot.stateRoot)
            #expect(chunks.joined().elementsEqual(whole))
            #expect(chunks.dropLast().allSatisfy { $0.count >= chunkBytes }, "only the last chunk may be short")
        }
        #expect(try driver.ledger.stateRoot() == snapshot.stateRoot)
    }

    @Test func aFailingSinkStopsTheStreamWithItsError() throws {
        struct DiskFull: Error {}
        let driver = try busyDriver()
        var calls = 0
        #expect(throws: DiskFull.self) {
            _ = try driver.ledger.streamSnapshot(chunkBytes: 16) { _ in
                calls += 1
                if calls == 2 { throw DiskFull() }
            }
        }
        #expect(calls == 2)
        #expect(try driver.ledger.stateRoot() == driver.ledger.snapshot().stateRoot, "the ledger reads on")
    }

    @Test func installReplacesAnOlderStateInPlace() throws {
        let ahead = try busyDriver()
        let behind = try Driver()
        let snapshot = try ahead.ledger.snapshot()
        let root = try ahead.ledger.stateRoot()
        var tampered = snapshot
        tampered.accounts[0].balance += 1
        #expect(throws: LedgerError.self) { try behind.ledger.install(tampered, expectedRoot: root) }
        #expect(try behind.ledger.height() == 0, "a refused snapshot changes nothing")
        try behind.ledger.install(snapshot, expectedRoot: root)
        #expect(try behind.ledger.stateRoot() == root)
        #expect(try behind.ledger.height() == ahead.ledger.height())
        let next = Batch(height: try ahead.ledger.height() + 1, transactions: [
            ahead.transaction(Keys.account(2), .transfer(to: Keys.account(3).publicKey, amount: 5)),
        ])
        #expect(try behind.ledger.apply(batch: next) == ahead.ledger.apply(batch: next))
        #expect(try behind.ledger.stateRoot() == ahead.ledger.stateRoot())
        try behind.ledger.install(snapshot, expectedRoot: root)
        #expect(try behind.ledger.stateRoot() == ahead.ledger.stateRoot(), "an older snapshot is ignored")
    }

    /// A node that executed up to a job's anchor, crashed, and fell behind a checkpoint
    /// installs its peers' state: its anchors are in that state unchanged.
    @Test func installKeepsTheAnchorsAlreadyHeld() throws {
        let ahead = try busyDriver()
        let behind = try busyDriver()
        #expect(try behind.ledger.snapshot().anchors.count == 1, "the fixture anchors one job")
        try ahead.run(Keys.account(2), .transfer(to: Keys.account(3).publicKey, amount: 5))
        let snapshot = try ahead.ledger.snapshot()
        try behind.ledger.install(snapshot, expectedRoot: snapshot.stateRoot)
        #expect(try behind.ledger.stateRoot() == ahead.ledger.stateRoot())
        #expect(try behind.ledger.height() == ahead.ledger.height())
    }

    @Test func installRefusesAStateThatRewritesAnAnchor() throws {
        let ahead = try busyDriver()
        let behind = try busyDriver()
        try ahead.run(Keys.account(2), .transfer(to: Keys.account(3).publicKey, amount: 5))
        var forged = try ahead.ledger.snapshot()
        let jobID = forged.anchors[0].jobID
        forged.anchors[0].digest = Digest.sha256("another result")
        let before = try behind.ledger.stateRoot()
        #expect(throws: LedgerError.snapshotContradictsAnchor(jobID: jobID)) {
            try behind.ledger.install(forged, expectedRoot: forged.stateRoot)
        }
        #expect(try behind.ledger.stateRoot() == before, "a refused snapshot changes nothing")
    }

    @Test func aTamperedSnapshotIsRefused() throws {
        let driver = try busyDriver()
        let root = try driver.ledger.stateRoot()
        var snapshot = try driver.ledger.snapshot()
        snapshot.accounts[0].balance += 1
        #expect(throws: LedgerError.snapshotRootMismatch(expected: root, actual: snapshot.stateRoot)) {
            try Ledger.restore(path: nil, genesis: Fixtures.genesis(), from: snapshot, expectedRoot: root)
        }
        var other = Fixtures.genesis()
        other.chainID = "other"
        #expect(throws: LedgerError.snapshotGenesisMismatch) {
            try Ledger.restore(path: nil, genesis: other, from: try driver.ledger.snapshot(), expectedRoot: root)
        }
    }

    @Test func restoringIntoAnExistingLedgerIsRefused() throws {
        let path = Fixtures.temporaryPath()
        _ = try Ledger.open(path: path, genesis: Fixtures.genesis())
        let driver = try busyDriver()
        #expect(throws: LedgerError.databaseNotEmpty) {
            try Ledger.restore(path: path, genesis: Fixtures.genesis(), from: try driver.ledger.snapshot(), expectedRoot: try driver.ledger.stateRoot())
        }
    }

    @Test func theRootCommitsToEveryTable() throws {
        let driver = try busyDriver()
        let snapshot = try driver.ledger.snapshot()
        let root = snapshot.stateRoot
        var changed = snapshot
        changed.meta.burned += 1
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.validators[0].endpoint = "x"
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.jobs[0].escrow += 1
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.attestations.removeLast()
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.codes[0].codeHash = Digest.zero
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.epochMembers.removeLast()
        #expect(changed.stateRoot != root)
        changed = snapshot
        changed.anchors[0].height += 1
        #expect(changed.stateRoot != root)
    }
}
