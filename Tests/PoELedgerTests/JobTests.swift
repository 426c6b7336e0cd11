import PoECrypto
import Testing
@testable import PoELedger

@Suite struct JobTests {
    let right = Digest.sha256("right result")
    let wrong = Digest.sha256("wrong result")

    /// docs/LEDGER.md's worked example: 7 validators (f = 2, quorum 5), fee 1003; five
    /// attest the right digest, validator 5 a wrong one, validator 6 nothing.
    @Test func workedExampleOneWrongOneAbsent() throws {
        let driver = try Driver(genesis: Fixtures.genesis(validatorCount: 7))
        let minted = try driver.ledger.meta().minted
        let job = try driver.submitJob(7, fee: 1_003, spec: Fixtures.spec(deadlineHeights: 10))  // height 1, deadline 11
        for node in 0..<4 { try driver.attest(job: job, digest: right, node: node) }
        #expect(try driver.attest(job: job, digest: wrong, node: 5).succeeded)
        #expect(try driver.ledger.anchor(jobID: job) == nil)
        try driver.attest(job: job, digest: right, node: 4)  // the fifth match: quorum
        let anchor = try #require(try driver.ledger.anchor(jobID: job))
        #expect(anchor.digest == right)
        #expect(try driver.ledger.job(job)?.status == .finalized)
        // Validator 6 never attests; settlement waits for the deadline (height 11).
        try driver.advance(to: 10)
        #expect(try driver.ledger.job(job)?.status == .finalized)
        try driver.advance(to: 11)
        #expect(try driver.ledger.receipt(height: 11)?.settledJobs == [job])
        let settled = try #require(try driver.ledger.job(job))
        #expect(settled.status == .settled)
        #expect(settled.escrow == 0)
        for node in 0..<5 { #expect(try driver.balance(node) == 100_000 + 200) }
        #expect(try driver.balance(5) == 100_000)
        #expect(try driver.balance(6) == 100_000)
        for node in [0, 1, 2, 3, 4, 6] { #expect(try driver.bond(node) == 10_000) }
        #expect(try driver.bond(5) == 9_000)  // 10% of 10_000
        #expect(try driver.ledger.meta().burned == 3 + 1_000)  // fee remainder + slash
        #expect(try driver.ledger.snapshot().accountedSupply == minted)
    }

    @Test func allMatchingSettlesAtOnce() throws {
        let driver = try Driver()
        let job = try driver.submitJob(7, fee: 1_000)
        for node in 0..<3 { try driver.attest(job: job, digest: right, node: node) }
        #expect(try driver.ledger.job(job)?.status == .finalized)
        let receipt = try driver.apply([driver.transaction(Keys.node(3), .attest(Fixtures.attestation(job: job, digest: right, node: 3)))])
        #expect(receipt.settledJobs == [job])
        #expect(try driver.ledger.job(job)?.status == .settled)
        for node in 0..<4 { #expect(try driver.balance(node) == 100_250) }
    }

    @Test func noQuorumByTheDeadlineRefundsAndSlashesNoOne() throws {
        let driver = try Driver()
        let job = try driver.submitJob(7, fee: 1_000, spec: Fixtures.spec(deadlineHeights: 4))  // deadline 5
        try driver.attest(job: job, digest: right, node: 0)
        try driver.attest(job: job, digest: right, node: 1)
        try driver.attest(job: job, digest: wrong, node: 2)
        #expect(try driver.balance(7) == 99_000)
        try driver.advance(to: 5)
        #expect(try driver.ledger.job(job)?.status == .failed)
        #expect(try driver.balance(7) == 100_000)
        for node in 0..<4 { #expect(try driver.bond(node) == 10_000) }
        #expect(try driver.ledger.anchor(jobID: job) == nil)
        #expect(try driver.ledger.resultProof(jobID: job) == nil)
        #expect(try driver.attest(job: job, digest: right, node: 3).rejection?.kind == .jobSettled)
    }

    @Test func everyoneAttestedWithoutQuorumFailsAtOnce() throws {
        let driver = try Driver()
        let job = try driver.submitJob(7, fee: 1_000)
        try driver.attest(job: job, digest: right, node: 0)
        try driver.attest(job: job, digest: right, node: 1)
        try driver.attest(job: job, digest: wrong, node: 2)
        try driver.attest(job: job, digest: wrong, node: 3)
        #expect(try driver.ledger.job(job)?.status == .failed)
        #expect(try driver.balance(7) == 100_000)
    }

    @Test func attestationRejections() throws {
        let driver = try Driver()
        let job = try driver.submitJob(spec: Fixtures.spec(deadlineHeights: 50))
        #expect(try driver.attest(job: Digest.sha256("nope"), digest: right, node: 0).rejection?.kind == .unknownJob)
        #expect(try driver.attest(job: job, digest: right, node: 9).rejection?.kind == .notInValidatorSet)
        #expect(try driver.attest(job: job, digest: right, node: 0).succeeded)
        #expect(try driver.attest(job: job, digest: right, node: 0).rejection?.kind == .duplicateAttestation)
        #expect(try driver.attest(job: job, digest: wrong, node: 0).rejection?.kind == .duplicateAttestation)
        let foreignChain = Fixtures.attestation(job: job, digest: right, node: 1, chainID: "elsewhere")
        #expect(try driver.run(Keys.node(1), .attest(foreignChain)).rejection?.kind == .wrongChain)
        var forged = Fixtures.attestation(job: job, digest: right, node: 1)
        forged.attestation.fuelUsed = 43
        let forgedResult = try driver.run(Keys.node(1), .attest(forged))
        #expect(forgedResult.rejection?.kind == .badAttestationSignature, "\(String(describing: forgedResult.rejection))")
        // Any account may carry a valid attestation.
        let relayed = Fixtures.attestation(job: job, digest: right, node: 1)
        #expect(try driver.run(Keys.account(7), .attest(relayed)).succeeded)
        #expect(try driver.ledger.attestations(jobID: job).count == 2)
    }

    @Test func jobSpecAndFeeChecks() throws {
        let driver = try Driver()
        #expect(try driver.run(Keys.account(7), .submitJob(spec: Fixtures.spec(deadlineHeights: 0), fee: 1)).rejection?.kind == .invalidJobSpec)
        #expect(try driver.run(Keys.account(7), .submitJob(spec: Fixtures.spec(deadlineHeights: 51), fee: 1)).rejection?.kind == .invalidJobSpec)
        var noFuel = Fixtures.spec()
        noFuel.fuelLimit = 0
        #expect(try driver.run(Keys.account(7), .submitJob(spec: noFuel, fee: 1)).rejection?.kind == .invalidJobSpec)
        #expect(try driver.run(Keys.account(7), .submitJob(spec: Fixtures.spec(), fee: 100_001)).rejection?.kind == .insufficientFunds)
        #expect(try driver.run(Keys.account(7), .submitJob(spec: Fixtures.spec(code: .name("missing")), fee: 1)).rejection?.kind == .unknownCode)
        #expect(try driver.balance(7) == 100_000)
    }

    @Test func codeNamesAreWriteOnce() throws {
        let driver = try Driver()
        let hash = Digest.sha256("wasm bytes")
        #expect(try driver.run(Keys.account(0), .publishCode(name: "sha256/v1", codeHash: hash)).succeeded)
        let taken = try driver.run(Keys.account(1), .publishCode(name: "sha256/v1", codeHash: Digest.sha256("other")))
        #expect(taken.rejection?.kind == .codeNameTaken)
        #expect(try driver.run(Keys.account(1), .publishCode(name: "has space", codeHash: hash)).rejection?.kind == .invalidCodeName)
        #expect(try driver.run(Keys.account(1), .publishCode(name: "", codeHash: hash)).rejection?.kind == .invalidCodeName)
        #expect(try driver.ledger.code(name: "sha256/v1")?.codeHash == hash)
        let job = try driver.submitJob(spec: Fixtures.spec(code: .name("sha256/v1")))
        #expect(try driver.ledger.job(job)?.codeHash == hash)
    }

    @Test func anchorsCannotBeRewrittenEvenInTheDatabase() throws {
        let driver = try Driver()
        let job = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: job, digest: right, node: node) }
        #expect(try driver.ledger.anchor(jobID: job)?.digest == right)
        #expect(throws: (any Error).self) { try driver.ledger.executeForTesting(sql: "UPDATE anchor SET digest = x'00'") }
        #expect(throws: (any Error).self) { try driver.ledger.executeForTesting(sql: "DELETE FROM anchor") }
        #expect(try driver.attest(job: job, digest: wrong, node: 3).succeeded)
        #expect(try driver.ledger.anchor(jobID: job)?.digest == right)
        #expect(try driver.bond(3) == 9_000)
    }
}
