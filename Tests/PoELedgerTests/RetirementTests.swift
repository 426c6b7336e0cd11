import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

/// Settled jobs leave the state `jobDeadlineHeightsMax` heights after their deadline: the
/// state (and every checkpoint archive) holds live work only, and the proof stays.
@Suite struct RetirementTests {
    let digest = Digest.sha256("agreed")

    @Test func aSettledJobLeavesTheStateAfterTheRetentionAndItsProofStays() throws {
        let driver = try Driver()
        let job = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: job, digest: digest, node: node) }
        let deadline = try #require(try driver.ledger.job(job)).deadlineHeight
        let proofBefore = try #require(try driver.ledger.resultProof(jobID: job))

        // Settled, but within the retention: still in the state.
        try driver.advance(to: deadline + Fixtures.parameters.jobDeadlineHeightsMax)
        #expect(try driver.ledger.snapshot().jobs.map(\.id) == [job])
        #expect(try driver.ledger.snapshot().attestations.count == 3)

        try driver.advance(to: deadline + Fixtures.parameters.jobDeadlineHeightsMax + 1)
        let state = try driver.ledger.snapshot()
        #expect(state.jobs.isEmpty)
        #expect(state.attestations.isEmpty)
        #expect(state.anchors.map(\.jobID) == [job])
        // Read from history: the job, its attestations and the same proof.
        #expect(try driver.ledger.job(job)?.status == .settled)
        #expect(try driver.ledger.attestations(jobID: job).count == 3)
        let proof = try #require(try driver.ledger.resultProof(jobID: job))
        #expect(proof == proofBefore)
        try proof.verify(validatorSet: try #require(try driver.ledger.validatorSet(epoch: 0)))
    }

    @Test func aRetiredJobTakesNoMoreAttestations() throws {
        let driver = try Driver()
        let job = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: job, digest: digest, node: node) }
        let deadline = try #require(try driver.ledger.job(job)).deadlineHeight
        try driver.advance(to: deadline + Fixtures.parameters.jobDeadlineHeightsMax + 1)
        let late = try driver.attest(job: job, digest: digest, node: 3)
        #expect(late.rejection?.kind == .unknownJob)
    }

    @Test func twoLedgersRetireAlikeAndAgreeOnTheRoot() throws {
        let first = try Driver()
        let second = try Driver()
        for driver in [first, second] {
            for _ in 0..<3 {
                let job = try driver.submitJob()
                for node in 0..<3 { try driver.attest(job: job, digest: digest, node: node) }
            }
            // One job nobody attests: it fails at its deadline and is retired too.
            _ = try driver.submitJob()
            try driver.advance(to: 120)
        }
        #expect(try first.ledger.snapshot().jobs.isEmpty)
        #expect(try first.ledger.stateRoot() == second.ledger.stateRoot())
    }

    @Test func theStateDoesNotGrowWithTheNumberOfJobsSettled() throws {
        let driver = try Driver()
        func oneJob() throws {
            let job = try driver.submitJob()
            for node in 0..<3 { try driver.attest(job: job, digest: digest, node: node) }
        }
        for _ in 0..<20 { try oneJob() }
        try driver.advance(to: try driver.ledger.height() + 60)
        let after20 = try driver.ledger.snapshot()
        for _ in 0..<60 { try oneJob() }
        try driver.advance(to: try driver.ledger.height() + 60)
        let after80 = try driver.ledger.snapshot()
        // What still grows: one anchor per finalized job, and one set of epoch members
        // per epoch (here an epoch is 10 heights); nothing per attestation or job row.
        #expect(after20.jobs.isEmpty && after80.jobs.isEmpty)
        #expect(after80.attestations.isEmpty)
        #expect(after80.anchors.count == 80)
        let grown = after80.wireBytes.count - after20.wireBytes.count
        let anchorsGrown = after80.anchors.wireBytesForTesting - after20.anchors.wireBytesForTesting
        let membersGrown = after80.epochMembers.wireBytesForTesting - after20.epochMembers.wireBytesForTesting
        #expect(anchorsGrown <= 80 * 60)
        #expect(grown <= anchorsGrown + membersGrown + 64)
    }
}

extension Array where Element: PoEWire.WireEncodable {
    var wireBytesForTesting: Int { reduce(0) { $0 + $1.wireBytes.count } }
}
