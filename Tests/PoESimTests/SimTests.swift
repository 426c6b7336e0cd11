import PBFT
import PoEDuties
@testable import PoESim
import Testing

/// The simulator as a test: whole validators (replica, duties, ledger) under faults,
/// safety on every step, liveness after healing, replay by seed.
@Suite struct SimTests {
    static func describe(_ results: [SimResult]) -> String {
        results.filter { !$0.passed }.map { result in
            "SEED=\(result.seed) n=\(result.replicaCount): \(result.violations.joined(separator: "; "))"
                + " (replay: poe sim --seed \(result.seed) --seeds 1 --replicas \(result.replicaCount) --verbose)"
        }.joined(separator: "\n")
    }

    /// The CI budget: 1,000 seeds over n in {4, 7}, every fault on, in 8 parallel chunks.
    @Test(arguments: 0..<8)
    func ciSeedsFindNoViolation(chunk: Int) {
        let results = Simulator.runMany(firstSeed: 1 + UInt64(chunk) * 125, count: 125, replicaCounts: [4, 7])
        #expect(results.count == 125)
        #expect(results.allSatisfy { $0.passed }, "\(Self.describe(results))")
        #expect(results.allSatisfy { $0.requestsCompleted == $0.requestsTotal })
        #expect(results.contains { $0.allNodeCrashes > 0 }, "some seeds crash every node at once")
        #expect(results.contains { $0.localResumes > 0 }, "some restarts resume from their own checkpoint")
    }

    @Test func aSeedReplaysBitForBit() {
        var options = SimOptions(seed: 4242, replicaCount: 7)
        options.safetyMs = 2_000
        let first = Simulator.run(options)
        let second = Simulator.run(options)
        #expect(first.summary == second.summary)
        #expect(first.messagesDelivered == second.messagesDelivered)
        let other = Simulator.run(SimOptions(seed: 4243, replicaCount: 7))
        #expect(other.summary != first.summary)
    }

    @Test func withoutFaultsEveryOperationCompletesInViewZero() {
        var options = SimOptions(seed: 7, replicaCount: 4)
        options.networkFaults = false
        options.crashes = false
        options.byzantine = false
        let result = Simulator.run(options)
        #expect(result.passed, "\(result.violations)")
        #expect(result.requestsCompleted == result.requestsTotal)
        #expect(result.jobsFinalized == 6)
        #expect(result.highestView == 0)
        #expect(result.slashed.isEmpty)
    }

    /// A power cut: every node crashes at once, and restarts from what its disk holds. The
    /// cluster must move again, each node resuming from its own checkpoint archive.
    @Test(arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func everyNodeCrashingAtOnceLosesNothingAndMovesAgain(seed: UInt64) {
        var options = SimOptions(seed: seed, replicaCount: seed % 2 == 0 ? 4 : 7)
        options.crashAllAtOnce = true
        let result = Simulator.run(options)
        #expect(result.passed, "\(Self.describe([result]))")
        #expect(result.allNodeCrashes >= 1)
        #expect(result.requestsCompleted == result.requestsTotal)
    }

    /// Each Byzantine consensus behaviour, played by f replicas including the first primary.
    @Test(arguments: ByzantineBehaviour.allCases)
    func byzantineReplicasDoNotBreakSafetyOrLiveness(behaviour: ByzantineBehaviour) {
        let results = (0..<4).map { offset in
            var options = SimOptions(seed: 500 + UInt64(offset), replicaCount: offset % 2 == 0 ? 4 : 7)
            options.byzantineOverride = behaviour
            return Simulator.run(options)
        }
        #expect(results.allSatisfy { $0.passed }, "\(Self.describe(results))")
        #expect(results.allSatisfy { $0.byzantineCount >= 1 })
    }

    /// f validators that attest wrongly, never, or twice: every job still finalizes with
    /// the honest digest, the liars who attested are slashed and no honest one is. At
    /// n = 7 the two wrong-result validators collude on one wrong digest.
    @Test(arguments: FaultMode.allCases)
    func byzantineAttestersAreOutvotedAndTheLiarsSlashed(fault: FaultMode) {
        let results = (0..<4).map { offset in
            var options = SimOptions(seed: 700 + UInt64(offset), replicaCount: offset % 2 == 0 ? 4 : 7)
            options.dutyFaultOverride = fault
            return Simulator.run(options)
        }
        #expect(results.allSatisfy { $0.passed }, "\(Self.describe(results))")
        for result in results {
            #expect(result.jobsFinalized == 6)
            #expect(Set(result.slashed).isSubset(of: Set(result.faulty)), "seed \(result.seed): an honest validator was slashed")
            switch fault {
            case .wrongResult, .equivocate: #expect(Set(result.slashed) == Set(result.faulty), "seed \(result.seed)")
            case .silentAttester: #expect(result.slashed.isEmpty)
            }
        }
    }

    /// A primary that stalls or censors must be replaced: the view moves past 0.
    @Test(arguments: [ByzantineBehaviour.silent, .censor])
    func aFaultyFirstPrimaryIsReplaced(behaviour: ByzantineBehaviour) {
        var options = SimOptions(seed: 99, replicaCount: 4)
        options.byzantineOverride = behaviour
        options.networkFaults = false
        options.crashes = false
        let result = Simulator.run(options)
        #expect(result.passed, "\(result.violations)")
        #expect(result.highestView >= 1)
        #expect(result.requestsCompleted == result.requestsTotal)
    }

    /// The broken consensus rule (a new view that ignores prepared certificates) must be
    /// caught within a small seed budget.
    @Test func theSimulatorCatchesANewViewThatIgnoresPreparedCertificates() {
        var found: SimResult?
        for seed in UInt64(1)...60 {
            var options = SimOptions(seed: seed, replicaCount: seed % 2 == 0 ? 7 : 4)
            options.unsafeIgnorePreparedCertificates = true
            options.livenessMs = 10_000
            let result = Simulator.run(options)
            if !result.passed { found = result; break }
        }
        #expect(found != nil, "the broken rule went unnoticed for 60 seeds")
        #expect(found?.violations.contains { $0.contains("agreement") || $0.contains("checkpoint") } == true)
    }

    /// The broken duty rule (a node that installs a checkpoint's state does not take up
    /// the open jobs it finds there) must be caught within a small seed budget.
    @Test func theSimulatorCatchesADutyThatForgetsJobsAfterAStateInstall() {
        var found: SimResult?
        for seed in UInt64(1)...30 {
            var options = SimOptions(seed: seed, replicaCount: seed % 2 == 0 ? 7 : 4)
            options.unsafeIgnoreJobsAfterStateInstall = true
            options.livenessMs = 10_000
            let result = Simulator.run(options)
            if !result.passed { found = result; break }
        }
        #expect(found != nil, "the broken duty went unnoticed for 30 seeds")
        #expect(found?.violations.contains { $0.contains("liveness") && $0.contains("job") } == true)
    }

    @Test func thePRNGIsDeterministicAndUnbiasedEnoughForDraws() {
        var a = SimRandom(seed: 1)
        var b = SimRandom(seed: 1)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
        var counts = [0, 0, 0]
        for _ in 0..<3_000 { counts[a.below(3)] += 1 }
        #expect(counts.allSatisfy { $0 > 900 && $0 < 1_100 })
    }
}
