import PoENodeCore
import PoECrypto
import PoELedger
import PoENode
import Testing

/// `poe submit --wait` reports what `JobProgress` computes from the API's answers.
@Suite struct JobProgressTests {
    static func jobResponse(_ backend: FakeBackend, _ id: Digest) throws -> JobResponse {
        let job = try #require(try backend.ledger.job(id))
        return JobResponse(
            job: job, set: try backend.ledger.validatorSet(epoch: job.epoch), anchor: try backend.ledger.anchor(jobID: id),
            attestations: try backend.ledger.attestations(jobID: id))
    }

    @Test func beforeCommit() {
        #expect(JobProgress(transaction: nil, job: nil) == .unseen)
        #expect(JobProgress(transaction: TransactionStatusResponse(status: "pending"), job: nil) == .pending)
        let rejected = JobProgress(
            transaction: TransactionStatusResponse(status: "rejected", height: 4, reason: "insufficientFunds: x"), job: nil)
        #expect(rejected == .rejected(height: 4, reason: "insufficientFunds: x"))
        #expect(rejected.isFinal && rejected.isFailure)
    }

    @Test func committedThenFinalized() throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let id = try driver.submitJob()
        let committed = TransactionStatusResponse(status: "committed", height: 1, jobID: id.hex)
        let digest = Digest.sha256("r")
        try driver.attest(job: id, digest: digest, nodes: [0, 1])
        let partial = JobProgress(transaction: committed, job: try Self.jobResponse(backend, id))
        #expect(partial == .committed(height: 1, attestations: 2, validators: 4, quorum: 3, deadlineHeight: 21))
        #expect(!partial.isFinal)
        #expect(partial.line.contains("attestations 2/4 (quorum 3)"))

        try driver.attest(job: id, digest: digest, nodes: [2])
        let final = JobProgress(transaction: committed, job: try Self.jobResponse(backend, id))
        #expect(
            final
                == .finalized(
                    digest: digest.hex, agreeing: 3, validators: 4, outputHash: Digest.sha256(JobDriver.output).hex,
                    outcome: "success(exit 0)"))
        #expect(final.isFinal && !final.isFailure)
    }

    @Test func failedAtTheDeadline() throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let id = try driver.submitJob()
        try driver.attest(job: id, digest: Digest.sha256("a"), nodes: [0, 1])
        try driver.attest(job: id, digest: Digest.sha256("b"), nodes: [2, 3])  // all attested, no quorum: fails
        let progress = JobProgress(
            transaction: TransactionStatusResponse(status: "committed", height: 1, jobID: id.hex),
            job: try Self.jobResponse(backend, id))
        let splits = [
            AttestationSplit(resultDigest: Digest.sha256("b").hex, outcome: "success(exit 0)", count: 2),
            AttestationSplit(resultDigest: Digest.sha256("a").hex, outcome: "success(exit 0)", count: 2),
        ].sorted { ($0.count, $1.resultDigest) > ($1.count, $0.resultDigest) }
        #expect(progress == .failed(quorum: 3, deadlineHeight: 21, splits: splits))
        #expect(progress.line.contains("2 × success(exit 0)"), "a failed job says how the attestations split")
        #expect(progress.isFinal && progress.isFailure)
    }
}
