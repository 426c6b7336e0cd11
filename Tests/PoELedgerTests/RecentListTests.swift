import Foundation
import PoECrypto
import Testing
@testable import PoELedger

/// The bounded, newest-first lists a status page reads: recent jobs (all, or of one
/// status) and recent evidence.
@Suite struct RecentListTests {
    @Test func recentJobsAreNewestFirstBoundedAndFilteredByStatus() throws {
        let driver = try Driver()
        var submitted: [Digest] = []
        for index in 0..<5 {
            let spec = Fixtures.spec(deadlineHeights: 40, code: .hash(Digest.sha256("code \(index)")))
            submitted.append(try driver.submitJob(spec: spec))
        }
        // The second job is finalized by three of four validators.
        let digest = Digest.sha256("agreed")
        for node in 0..<3 { try driver.attest(job: submitted[1], digest: digest, node: node) }

        let all = try driver.ledger.recentJobs(limit: 10)
        #expect(all.map(\.id) == submitted.reversed())
        #expect(try driver.ledger.recentJobs(limit: 2).map(\.id) == [submitted[4], submitted[3]])
        let finalized = try driver.ledger.recentJobs(status: .finalized, limit: 10)
        #expect(finalized.map(\.id) == [submitted[1]])
        #expect(try driver.ledger.recentJobs(status: .pending, limit: 10).count == 4)
        #expect(try driver.ledger.recentJobs(status: .failed, limit: 10).isEmpty)
    }

    @Test func listsReadTheirIndexNotTheWholeTable() throws {
        let ledger = try Ledger.open(path: nil, genesis: Fixtures.genesis())
        let queries = [
            ("SELECT body FROM job ORDER BY submitHeight DESC, id DESC LIMIT 5", "jobRecent"),
            ("SELECT body FROM job WHERE status = 2 ORDER BY submitHeight DESC, id DESC LIMIT 5", "jobStatusRecent"),
            ("SELECT body FROM job WHERE submitter = x'00' ORDER BY submitHeight DESC, id DESC LIMIT 5", "jobSubmitterRecent"),
            ("SELECT nodeKey, jobID, height FROM evidence ORDER BY height DESC, nodeKey DESC, jobID DESC LIMIT 5", "evidenceRecent"),
        ]
        for (sql, index) in queries {
            let plan = try ledger.queryPlanForTesting(sql)
            #expect(plan.contains { $0.contains(index) }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql) sorts instead of reading in index order: \(plan)")
        }
    }

    @Test func aLedgerWithoutTheSubmitHeightColumnGetsItFilledOnOpen() throws {
        let path = Fixtures.temporaryPath()
        var submitted: [Digest] = []
        let root: Digest
        do {
            let driver = Driver(ledger: try Ledger.open(path: path, genesis: Fixtures.genesis()))
            for index in 0..<3 {
                submitted.append(try driver.submitJob(spec: Fixtures.spec(code: .hash(Digest.sha256("old \(index)")))))
            }
            root = try driver.ledger.stateRoot()
            // As a ledger written before the column existed.
            try driver.ledger.executeForTesting(sql: "DROP INDEX jobRecent")
            try driver.ledger.executeForTesting(sql: "DROP INDEX jobStatusRecent")
            try driver.ledger.executeForTesting(sql: "DROP INDEX jobSubmitterRecent")
            try driver.ledger.executeForTesting(sql: "ALTER TABLE job DROP COLUMN submitHeight")
            try driver.ledger.executeForTesting(sql: "ALTER TABLE job DROP COLUMN submitter")
        }
        let reopened = try Ledger.open(path: path, genesis: Fixtures.genesis())
        #expect(try reopened.recentJobs(limit: 10).map(\.id) == submitted.reversed())
        #expect(try reopened.recentJobs(submitter: Keys.account(7).publicKey, limit: 10).map(\.id) == submitted.reversed())
        #expect(try reopened.stateRoot() == root, "the column is not state")
    }

    @Test func recentEvidenceIsNewestFirst() throws {
        let driver = try Driver()
        #expect(try driver.ledger.recentEvidence(limit: 5).isEmpty)
        var jobs: [Digest] = []
        for index in 0..<2 {
            jobs.append(try driver.submitJob(spec: Fixtures.spec(code: .hash(Digest.sha256("evidence \(index)")))))
        }
        // Validator 3 signed two digests for each job: each pair is evidence, at its own height.
        for job in jobs {
            let first = Fixtures.attestation(job: job, digest: Digest.sha256("one"), node: 3)
            let second = Fixtures.attestation(job: job, digest: Digest.sha256("two"), node: 3)
            let result = try driver.run(Keys.account(0), .evidence(first: first, second: second))
            #expect(result.succeeded, "\(String(describing: result.rejection))")
        }
        let evidence = try driver.ledger.recentEvidence(limit: 5)
        #expect(evidence.map(\.jobID) == jobs.reversed())
        #expect(evidence.allSatisfy { $0.nodeKey == Keys.node(3).publicKey })
        #expect(try driver.ledger.recentEvidence(limit: 1).map(\.jobID) == [jobs[1]])
    }
}
