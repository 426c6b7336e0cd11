import Foundation
import PBFT
import PoECrypto
@testable import PoEDuties
import PoELedger
import PoEWire
import Testing

/// The duties' rules, one per test: set up, step, check the actions.
@Suite struct DutiesTests {
    static let chainID = "duties-test"
    static let nodeKey = PrivateKey.deterministic(seed: "duties-node")
    static let otherKey = PrivateKey.deterministic(seed: "duties-other")
    static let clientKey = PrivateKey.deterministic(seed: "duties-client")

    static func duties(fault: FaultMode? = nil, configure: (inout Duties.Settings) -> Void = { _ in }) -> Duties {
        var settings = Duties.Settings(chainID: chainID, fault: fault)
        settings.retryTicks = 2
        settings.requestResendTicks = 4
        settings.attestationResubmitHeights = 3
        configure(&settings)
        return Duties(settings: settings, key: nodeKey)
    }

    static func job(_ name: String, missing: Set<Digest> = []) -> JobAssignment {
        let spec = JobSpec(
            code: .hash(Digest.sha256(name + " code")), inputHash: Digest.sha256(name + " input"), entryPoint: "_start",
            fuelLimit: 1_000, memoryLimitPages: 16, deadlineHeights: 50)
        return JobAssignment(jobID: Digest.sha256(name), codeHash: Digest.sha256(name + " code"), spec: spec, missingBlobs: missing)
    }

    static let result = JobResult(
        resultDigest: Digest.sha256("result"), profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.sha256("output"), logHash: Digest.sha256("log"),
        fuelUsed: 42)

    static func attestations(in actions: [DutyAction]) -> [(nonce: UInt64, attestation: SignedAttestation)] {
        actions.compactMap { action in
            guard case .submit(let transaction) = action,
                case .attest(let signed)? = try? TransactionBody.decode(wireBytes: transaction.body)
            else { return nil }
            return (transaction.nonce, signed)
        }
    }

    static func runs(in actions: [DutyAction]) -> [Digest] {
        actions.compactMap { if case .runJob(let assignment) = $0 { return assignment.jobID } else { return nil } }
    }

    static func fetches(in actions: [DutyAction]) -> [Digest] {
        actions.compactMap { if case .fetchBlob(let digest) = $0 { return digest } else { return nil } }
    }

    static func ticks(_ duties: inout Duties, _ count: Int) -> [DutyAction] {
        (0..<count).flatMap { _ in duties.step(.tick) }
    }

    static func started(_ duties: inout Duties, height: UInt64 = 10, nonce: UInt64 = 0, jobs: [JobAssignment] = []) -> [DutyAction] {
        duties.step(.started(LedgerFacts(height: height, ownNonce: nonce, assignments: jobs)))
    }

    // MARK: taking up jobs

    @Test func aNewJobWhoseBlobsAreHereRunsAtOnce() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let actions = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [Self.job("a")])))
        #expect(Self.runs(in: actions) == [Self.job("a").jobID])
        #expect(Self.fetches(in: actions).isEmpty)
    }

    @Test func aJobMissingBlobsFetchesThemAndRunsOnlyOnceAllArrived() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let code = Digest.sha256("a code")
        let input = Digest.sha256("a input")
        let job = Self.job("a", missing: [code, input])
        let first = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [job])))
        #expect(Set(Self.fetches(in: first)) == [code, input])
        #expect(Self.runs(in: first).isEmpty)
        #expect(Self.runs(in: duties.step(.blobStored(code))).isEmpty)
        #expect(Self.runs(in: duties.step(.blobStored(input))) == [job.jobID])
    }

    @Test func missingBlobsAreAskedAgainOnEveryRetryTick() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let code = Digest.sha256("a code")
        _ = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [Self.job("a", missing: [code])])))
        #expect(Self.fetches(in: Self.ticks(&duties, 2)) == [code])
        #expect(Self.fetches(in: Self.ticks(&duties, 2)) == [code])
    }

    @Test func aJobAlreadyOpenIsNotTakenUpTwice() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let job = Self.job("a")
        _ = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [job])))
        // The same height again, as a restarted node re-applies it.
        let again = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [job])))
        #expect(Self.runs(in: again).isEmpty)
        #expect(duties.counters.jobsStarted == 1)
    }

    @Test func pastTheOpenJobBoundANewJobIsSkippedAndCounted() {
        var duties = Self.duties { $0.jobsOpenMax = 1 }
        _ = Self.started(&duties)
        let actions = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], assignments: [Self.job("a"), Self.job("b")])))
        #expect(Self.runs(in: actions) == [Self.job("a").jobID])
        #expect(duties.counters.jobsSkippedFull == 1)
    }

    // MARK: attesting

    @Test func aFinishedJobIsAttestedWithTheNodeKeyAboveTheLedgersNonce() {
        var duties = Self.duties()
        _ = Self.started(&duties, nonce: 7, jobs: [Self.job("a")])
        let actions = duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))
        let attested = Self.attestations(in: actions)
        #expect(attested.count == 1)
        #expect(attested[0].nonce == 8)
        #expect(attested[0].attestation.attestation.resultDigest == Self.result.resultDigest)
        #expect(attested[0].attestation.attestation.nodeKey == Self.nodeKey.publicKey)
        #expect(attested[0].attestation.isSignatureValid)
    }

    @Test func nonceStrictlyIncreasesAcrossSubmissions() {
        var duties = Self.duties()
        _ = Self.started(&duties, nonce: 3, jobs: [Self.job("a"), Self.job("b")])
        let first = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        let second = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("b").jobID, Self.result)))
        #expect(first.map(\.nonce) == [4])
        #expect(second.map(\.nonce) == [5])
    }

    @Test func anAttestationNotRecordedIsSubmittedAgainAfterAFewHeightsInANewTransaction() {
        var duties = Self.duties()
        _ = Self.started(&duties, height: 10, jobs: [Self.job("a")])
        let first = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        _ = duties.step(.batchApplied(BatchFacts(height: 12, executed: [])))
        #expect(Self.attestations(in: Self.ticks(&duties, 2)).isEmpty, "not before the resubmission height")
        _ = duties.step(.batchApplied(BatchFacts(height: 13, executed: [])))
        let again = Self.attestations(in: Self.ticks(&duties, 2))
        #expect(again.count == 1)
        #expect(again[0].attestation == first[0].attestation, "the same signed attestation: never equivocation")
        #expect(again[0].nonce > first[0].nonce)
    }

    /// A transaction of the node key signed before a restart, still in flight, takes the
    /// nonce this incarnation gave the attestation (seed 82,089 of the long run).
    @Test func anAttestationWhoseNonceAnotherTransactionTookIsSubmittedAgainAtOnce() {
        var duties = Self.duties()
        _ = Self.started(&duties, height: 10, nonce: 3, jobs: [Self.job("a")])
        let first = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        #expect(first.map(\.nonce) == [4])
        let beforeRestart = SignedTransaction.make(
            signer: Self.nodeKey, nonce: 4, body: .evidence(first: first[0].attestation, second: first[0].attestation))
        let taken = ClientRequest(
            client: Self.nodeKey.publicKey, timestamp: 4, operation: beforeRestart.body, signature: beforeRestart.signature)
        let again = Self.attestations(in: duties.step(.batchApplied(BatchFacts(height: 11, executed: [taken]))))
        #expect(again.map(\.nonce) == [5], "at once, not after attestationResubmitHeights more heights")
        #expect(again.first?.attestation == first[0].attestation)
        #expect(duties.counters.attestationsResubmitted == 1)
    }

    @Test func anAttestationOvertakenByALaterNonceOfTheNodeKeyIsSubmittedAgainAtOnce() {
        var duties = Self.duties()
        _ = Self.started(&duties, height: 10, nonce: 3, jobs: [Self.job("a")])
        _ = duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))
        let later = SignedTransaction.make(signer: Self.nodeKey, nonce: 9, body: .transfer(to: Self.otherKey.publicKey, amount: 1))
        let overtaking = ClientRequest(client: Self.nodeKey.publicKey, timestamp: 9, operation: later.body, signature: later.signature)
        let again = Self.attestations(in: duties.step(.batchApplied(BatchFacts(height: 11, executed: [overtaking]))))
        #expect(again.map(\.nonce) == [10])
    }

    @Test func anAttestationStillInFlightIsNotSubmittedAgainBeforeItsHeights() {
        var duties = Self.duties()
        _ = Self.started(&duties, height: 10, nonce: 3, jobs: [Self.job("a"), Self.job("b")])
        let submittedA = duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))
        _ = duties.step(.jobFinished(jobID: Self.job("b").jobID, Self.result))
        guard case .submit(let transactionA)? = submittedA.first else {
            Issue.record("expected a submission, got \(submittedA)")
            return
        }
        // Job a's transaction (nonce 4) executes and is recorded; job b's (nonce 5) is still in flight.
        let recorded = ClientRequest(
            client: Self.nodeKey.publicKey, timestamp: transactionA.nonce, operation: transactionA.body,
            signature: transactionA.signature)
        let actions = duties.step(.batchApplied(BatchFacts(height: 11, executed: [recorded], attested: [Self.job("a").jobID])))
        #expect(Self.attestations(in: actions).isEmpty)
        #expect(duties.openJobCount == 1)
        #expect(duties.counters.attestationsResubmitted == 0)
    }

    @Test func anAttestationTheLedgerRecordedClosesTheJob() {
        var duties = Self.duties()
        _ = Self.started(&duties, jobs: [Self.job("a")])
        _ = duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))
        _ = duties.step(.batchApplied(BatchFacts(height: 20, executed: [], attested: [Self.job("a").jobID])))
        #expect(duties.openJobCount == 0)
        #expect(Self.attestations(in: Self.ticks(&duties, 4)).isEmpty)
    }

    @Test func aSettledJobIsDroppedAndItsLateResultIgnored() {
        var duties = Self.duties()
        _ = Self.started(&duties, jobs: [Self.job("a")])
        _ = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], settled: [Self.job("a").jobID])))
        #expect(Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))).isEmpty)
        #expect(duties.counters.resultsForClosedJobs == 1)
    }

    @Test func aJobTheRunnerHadNoRoomForRunsOnTheNextRetryTick() {
        var duties = Self.duties()
        _ = Self.started(&duties, jobs: [Self.job("a")])
        #expect(duties.step(.jobNotRun(jobID: Self.job("a").jobID, .runnerFull)).isEmpty)
        #expect(Self.runs(in: Self.ticks(&duties, 2)) == [Self.job("a").jobID])
        #expect(duties.counters.runnerFull == 1)
    }

    @Test func aBlobUnreadableLocallyIsFetchedAgainThenTheJobRuns() {
        var duties = Self.duties()
        _ = Self.started(&duties, jobs: [Self.job("a")])
        let code = Digest.sha256("a code")
        let actions = duties.step(.jobNotRun(jobID: Self.job("a").jobID, .blobUnreadable(code)))
        #expect(Self.fetches(in: actions) == [code])
        #expect(Self.runs(in: duties.step(.blobStored(code))) == [Self.job("a").jobID])
        #expect(duties.counters.localBlobFailures == 1)
    }

    // MARK: restarts and state installs

    @Test func aRestartTakesUpTheOpenJobsTheLedgerHolds() {
        var duties = Self.duties()
        let actions = Self.started(&duties, jobs: [Self.job("a"), Self.job("b")])
        #expect(Set(Self.runs(in: actions)) == [Self.job("a").jobID, Self.job("b").jobID])
    }

    @Test func afterAStateInstallTheOpenJobsFoundThereAreRunAndAttested() {
        var duties = Self.duties()
        _ = Self.started(&duties, jobs: [Self.job("old")])
        let facts = LedgerFacts(height: 40, ownNonce: 2, assignments: [Self.job("new")])
        let actions = duties.step(.stateInstalled(facts, clientTable: ClientTable(capacity: 8)))
        #expect(Self.runs(in: actions) == [Self.job("new").jobID])
        #expect(duties.openJobCount == 1, "a job no longer open in the installed state is dropped")
        let attested = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("new").jobID, Self.result)))
        #expect(attested.map(\.nonce) == [3])
    }

    @Test func theBrokenRuleTakesUpNoJobAfterAStateInstall() {
        var duties = Self.duties { $0.unsafeIgnoreJobsAfterStateInstall = true }
        _ = Self.started(&duties)
        let facts = LedgerFacts(height: 40, ownNonce: 0, assignments: [Self.job("new")])
        #expect(Self.runs(in: duties.step(.stateInstalled(facts, clientTable: ClientTable(capacity: 8)))).isEmpty)
    }

    // MARK: fault modes (for testnets and the simulator)

    @Test func aWrongResultNodeAttestsADigestDerivedFromTheRightOne() {
        var duties = Self.duties(fault: .wrongResult)
        _ = Self.started(&duties, jobs: [Self.job("a")])
        let attested = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        #expect(attested.count == 1)
        #expect(attested[0].attestation.attestation.resultDigest != Self.result.resultDigest)
        var other = Self.duties(fault: .wrongResult)
        _ = Self.started(&other, jobs: [Self.job("a")])
        let colluding = Self.attestations(in: other.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        #expect(colluding[0].attestation.attestation.resultDigest == attested[0].attestation.attestation.resultDigest)
    }

    @Test func aSilentNodeAttestsNothingEver() {
        var duties = Self.duties(fault: .silentAttester)
        _ = Self.started(&duties, jobs: [Self.job("a")])
        #expect(Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result))).isEmpty)
        _ = duties.step(.batchApplied(BatchFacts(height: 30, executed: [])))
        #expect(Self.attestations(in: Self.ticks(&duties, 6)).isEmpty)
    }

    @Test func anEquivocatingNodeSignsTwoDifferentAttestations() {
        var duties = Self.duties(fault: .equivocate)
        _ = Self.started(&duties, jobs: [Self.job("a")])
        let attested = Self.attestations(in: duties.step(.jobFinished(jobID: Self.job("a").jobID, Self.result)))
        #expect(attested.count == 2)
        #expect(Set(attested.map(\.attestation.attestation.resultDigest)).count == 2)
    }

    // MARK: evidence

    @Test func equivocationIsProvenOncePerValidatorAndJob() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let honest = Attestation(
            chainID: Self.chainID, jobID: Digest.sha256("j"), resultDigest: Digest.sha256("x"), profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: .zero,
            logHash: .zero, fuelUsed: 1, nodeKey: Self.otherKey.publicKey)
        var lie = honest
        lie.resultDigest = Digest.sha256("y")
        let pair = Equivocation(first: honest.signed(by: Self.otherKey), second: lie.signed(by: Self.otherKey))
        let first = duties.step(.batchApplied(BatchFacts(height: 11, executed: [], equivocations: [pair])))
        let second = duties.step(.batchApplied(BatchFacts(height: 12, executed: [], equivocations: [pair])))
        let evidence = (first + second).filter {
            guard case .submit(let transaction) = $0, case .evidence? = try? TransactionBody.decode(wireBytes: transaction.body) else {
                return false
            }
            return true
        }
        #expect(evidence.count == 1)
        #expect(duties.counters.evidenceSubmitted == 1)
    }

    // MARK: client requests

    static func request(_ nonce: UInt64) -> ClientRequest {
        ClientRequest.signed(by: clientKey, timestamp: nonce, operation: Array("op \(nonce)".utf8))
    }

    @Test func aWaitingRequestIsResentAfterTheResendPeriodNotBefore() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        _ = duties.step(.requestAccepted(Self.request(1)))
        let early = Self.ticks(&duties, 2)
        #expect(!early.contains(.resend(Self.request(1))))
        let later = Self.ticks(&duties, 2)
        #expect(later.contains(.resend(Self.request(1))))
    }

    @Test func anExecutedRequestIsNoLongerResent() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        _ = duties.step(.requestAccepted(Self.request(1)))
        _ = duties.step(.batchApplied(BatchFacts(height: 11, executed: [Self.request(1)])))
        #expect(duties.ownRequestCount == 0)
        #expect(!Self.ticks(&duties, 8).contains(.resend(Self.request(1))))
    }

    @Test func aRequestOvertakenByALaterNonceIsRefusedWithAReason() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        _ = duties.step(.requestAccepted(Self.request(1)))
        let actions = duties.step(.batchApplied(BatchFacts(height: 11, executed: [Self.request(2)])))
        guard case .refuse(let refused, let reason)? = actions.first else {
            Issue.record("expected a refusal, got \(actions)")
            return
        }
        #expect(refused == Self.request(1))
        #expect(reason.contains("later nonce"))
    }

    @Test func aRequestWhoseNonceWentToAnotherTransactionIsRefusedWithAReason() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        _ = duties.step(.requestAccepted(Self.request(1)))
        let other = ClientRequest.signed(by: Self.clientKey, timestamp: 1, operation: Array("another op".utf8))
        let actions = duties.step(.batchApplied(BatchFacts(height: 11, executed: [other])))
        guard case .refuse(let refused, let reason)? = actions.first else {
            Issue.record("expected a refusal, got \(actions)")
            return
        }
        #expect(refused == Self.request(1))
        #expect(reason.contains("another transaction of this account with nonce 1"))
        #expect(duties.ownRequestCount == 0)
    }

    @Test func afterAStateInstallTheClientTableSaysWhichRequestsExecutedAndWhichWereOvertaken() {
        var duties = Self.duties()
        _ = Self.started(&duties)
        let otherClient = PrivateKey.deterministic(seed: "duties-client-2")
        let overtaken = ClientRequest.signed(by: otherClient, timestamp: 1, operation: [1])
        _ = duties.step(.requestAccepted(Self.request(3)))
        _ = duties.step(.requestAccepted(overtaken))
        var table = ClientTable(capacity: 8)
        table.record(Self.request(3).key, sequence: 30)
        table.record(ClientRequest.signed(by: otherClient, timestamp: 5, operation: [5]).key, sequence: 31)
        let actions = duties.step(.stateInstalled(LedgerFacts(height: 32, ownNonce: 0, assignments: []), clientTable: table))
        #expect(actions.count == 1)
        #expect(actions.first.map { if case .refuse(let request, _) = $0 { return request == overtaken } else { return false } } == true)
        #expect(duties.ownRequestCount == 0)
    }

    @Test func pastTheOwnRequestBoundARequestIsNotTrackedAndCounted() {
        var duties = Self.duties { $0.ownRequestsMax = 1 }
        _ = Self.started(&duties)
        _ = duties.step(.requestAccepted(Self.request(1)))
        _ = duties.step(.requestAccepted(Self.request(2)))
        #expect(duties.ownRequestCount == 1)
        #expect(duties.counters.ownRequestsUntracked == 1)
    }

    // MARK: purity

    @Test func theDutiesSourcesUseNoClockRandomnessIOOrThreads() throws {
        let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let sources = testsDirectory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/PoEDuties")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 4)
        let forbidden = [
            "Date()", ".random", "SecureRandom", "import Foundation", "Thread", "DispatchQueue", "Task {", "Ledger.open",
            ": Ledger)", ": Ledger,", ": Ledger\n", "Database", "FileManager",
        ]
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for word in forbidden { #expect(!text.contains(word), "\(file) uses \(word)") }
        }
    }
}
