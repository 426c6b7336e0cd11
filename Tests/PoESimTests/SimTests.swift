import PBFT
@testable import PoESim
import Testing

/// The simulator as a test: safety on every step, liveness after healing, replay by seed.
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

    @Test func withoutFaultsEveryRequestCommitsInViewZero() {
        var options = SimOptions(seed: 7, replicaCount: 4)
        options.networkFaults = false
        options.crashes = false
        options.byzantine = false
        let result = Simulator.run(options)
        #expect(result.passed)
        #expect(result.requestsCompleted == result.requestsTotal)
        #expect(result.highestView == 0)
    }

    /// Each Byzantine behaviour, played by f replicas including the first primary.
    @Test(arguments: ByzantineBehaviour.allCases)
    func byzantineReplicasDoNotBreakSafetyOrLiveness(behaviour: ByzantineBehaviour) {
        let results = (0..<6).map { offset in
            var options = SimOptions(seed: 500 + UInt64(offset), replicaCount: offset % 2 == 0 ? 4 : 7)
            options.byzantineOverride = behaviour
            return Simulator.run(options)
        }
        #expect(results.allSatisfy { $0.passed }, "\(Self.describe(results))")
        #expect(results.allSatisfy { $0.byzantineCount >= 1 })
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

    /// The broken variant (a new view that ignores prepared certificates) must be caught
    /// within a small seed budget.
    @Test func theSimulatorCatchesANewViewThatIgnoresPreparedCertificates() {
        var found: SimResult?
        for seed in UInt64(1)...60 {
            var options = SimOptions(seed: seed, replicaCount: seed % 2 == 0 ? 7 : 4)
            options.unsafeIgnorePreparedCertificates = true
            let result = Simulator.run(options)
            if !result.passed { found = result; break }
        }
        #expect(found != nil, "the broken rule went unnoticed for 60 seeds")
        #expect(found?.violations.contains { $0.contains("agreement") || $0.contains("stable checkpoint") } == true)
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
