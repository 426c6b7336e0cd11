import PoECrypto
import Testing
@testable import PoELedger

@Suite struct StakingTests {
    @Test func registerBelowMinimumFails() throws {
        let driver = try Driver()
        let result = try driver.run(Keys.account(5), .register(stake: 999, endpoint: "h:5", nodeKey: Keys.node(5).publicKey))
        #expect(result.rejection?.kind == .belowMinimumStake)
        #expect(try driver.balance(5) == 100_000)
        #expect(try driver.ledger.validator(account: Keys.account(5).publicKey) == nil)
    }

    @Test func aNewValidatorJoinsFromTheNextEpoch() throws {
        let driver = try Driver()
        #expect(try driver.run(Keys.account(5), .register(stake: 2_000, endpoint: "h:5", nodeKey: Keys.node(5).publicKey)).succeeded)
        #expect(try driver.balance(5) == 98_000)
        #expect(try driver.ledger.validatorSet(epoch: 0)?.contains(Keys.node(5).publicKey) == false)
        let job = try driver.submitJob()
        #expect(try driver.attest(job: job, digest: Digest.sha256("r"), node: 5).rejection?.kind == .notInValidatorSet)
        try driver.advance(to: 10)  // first height of epoch 1
        let set = try #require(try driver.ledger.validatorSet(epoch: 1))
        #expect(set.contains(Keys.node(5).publicKey))
        #expect(set.count == 5)
        // Jobs keep the set of the epoch they were committed in.
        #expect(try driver.ledger.job(job)?.epoch == 0)
        let later = try driver.submitJob()
        #expect(try driver.ledger.job(later)?.epoch == 1)
        #expect(try driver.ledger.currentValidatorSet() == set)
        #expect(try driver.ledger.unsettledJobs().map(\.id) == [later])
        #expect(try driver.attest(job: later, digest: Digest.sha256("r"), node: 5).succeeded)
    }

    @Test func nodeKeysAreUniqueAndFixed() throws {
        let driver = try Driver()
        let taken = try driver.run(Keys.account(5), .register(stake: 2_000, endpoint: "h:5", nodeKey: Keys.node(0).publicKey))
        #expect(taken.rejection?.kind == .nodeKeyTaken)
        let change = try driver.run(Keys.account(0), .register(stake: 1, endpoint: "h:0", nodeKey: Keys.node(9).publicKey))
        #expect(change.rejection?.kind == .nodeKeyTaken)
        #expect(try driver.run(Keys.account(0), .register(stake: 500, endpoint: "h:0b", nodeKey: Keys.node(0).publicKey)).succeeded)
        #expect(try driver.bond(0) == 10_500)
        #expect(try driver.ledger.validator(account: Keys.account(0).publicKey)?.endpoint == "h:0b")
    }

    @Test func unbondThenWithdrawAfterTheDelay() throws {
        let driver = try Driver()
        #expect(try driver.run(Keys.account(0), .unbond(amount: 10_001)).rejection?.kind == .invalidAmount)
        #expect(try driver.run(Keys.account(0), .withdraw).rejection?.kind == .nothingToWithdraw)
        #expect(try driver.run(Keys.account(0), .unbond(amount: 9_500)).succeeded)  // height 3, release 8
        #expect(try driver.bond(0) == 500)
        #expect(try driver.run(Keys.account(0), .withdraw).rejection?.kind == .unbondingNotReleased)
        try driver.advance(to: 7)
        #expect(try driver.run(Keys.account(0), .withdraw).succeeded)  // height 8
        #expect(try driver.balance(0) == 109_500)
        #expect(try driver.run(Keys.account(5), .unbond(amount: 1)).rejection?.kind == .notAValidator)
        // Bond 500 < minimum: out of the next epoch's set.
        try driver.advance(to: 10)
        #expect(try driver.ledger.validatorSet(epoch: 1)?.contains(Keys.node(0).publicKey) == false)
        #expect(try driver.ledger.validatorSet(epoch: 1)?.count == 3)
    }

    @Test func unbondingStakeIsStillSlashable() throws {
        let driver = try Driver()
        let job = try driver.submitJob(spec: Fixtures.spec(deadlineHeights: 20))
        try driver.run(Keys.account(3), .unbond(amount: 10_000))
        for node in 0..<3 { try driver.attest(job: job, digest: Digest.sha256("r"), node: node) }
        try driver.attest(job: job, digest: Digest.sha256("w"), node: 3)
        let validator = try #require(try driver.ledger.validator(account: Keys.account(3).publicKey))
        #expect(validator.bond == 0)
        #expect(validator.unbonding == 9_000)
    }

    @Test func equivocationSlashesHarderAndJails() throws {
        let driver = try Driver()
        let job = try driver.submitJob()
        let first = Fixtures.attestation(job: job, digest: Digest.sha256("a"), node: 2)
        let second = Fixtures.attestation(job: job, digest: Digest.sha256("b"), node: 2)
        #expect(try driver.run(Keys.account(6), .evidence(first: first, second: first)).rejection?.kind == .invalidEvidence)
        let other = Fixtures.attestation(job: job, digest: Digest.sha256("b"), node: 1)
        #expect(try driver.run(Keys.account(6), .evidence(first: first, second: other)).rejection?.kind == .invalidEvidence)
        var forged = second
        forged.attestation.logHash = Digest.sha256("edited")
        #expect(try driver.run(Keys.account(6), .evidence(first: first, second: forged)).rejection?.kind == .invalidEvidence)
        let outsider = Fixtures.attestation(job: job, digest: Digest.sha256("a"), node: 9)
        let outsider2 = Fixtures.attestation(job: job, digest: Digest.sha256("b"), node: 9)
        #expect(try driver.run(Keys.account(6), .evidence(first: outsider, second: outsider2)).rejection?.kind == .notAValidator)

        #expect(try driver.run(Keys.account(6), .evidence(first: first, second: second)).succeeded)
        let validator = try #require(try driver.ledger.validator(account: Keys.account(2).publicKey))
        #expect(validator.bond == 5_000)
        #expect(validator.jailed)
        #expect(try driver.run(Keys.account(6), .evidence(first: second, second: first)).rejection?.kind == .evidenceAlreadyUsed)
        #expect(try driver.run(Keys.account(2), .register(stake: 5_000, endpoint: "h", nodeKey: Keys.node(2).publicKey)).rejection?.kind == .jailed)
        try driver.advance(to: 10)
        #expect(try driver.ledger.validatorSet(epoch: 1)?.contains(Keys.node(2).publicKey) == false)
        #expect(try driver.ledger.meta().burned == 5_000)
    }
}
