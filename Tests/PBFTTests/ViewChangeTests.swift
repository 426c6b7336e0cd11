@testable import PBFT
import PoECrypto
import Testing

/// Castro & Liskov §4.4 (view changes) and §4.5.2 (liveness), one rule per test.
@Suite struct ViewChangeTests {
    /// Replica 0 (primary of view 0) is down; a request reaches the backups only.
    static func silentPrimary() -> Harness {
        var h = Harness(n: 4, timeoutTicks: 10)
        h.down = [0]
        h.submit(Harness.request(timestamp: 1))
        return h
    }

    @Test func aBackupWaitingTooLongForARequestStartsAViewChangeAfterPersistingTheView() {
        var h = Self.silentPrimary()
        var actions: [Action] = []
        for _ in 0..<10 { actions += h.step(1, .tick) }
        let sent = viewChanges(actions)
        #expect(sent.count == 1)
        #expect(sent.first?.payload.newView == 1)
        #expect(h.replicas[1].status == .changingView)
        let viewIndex = actions.firstIndex { $0 == .persist(.view(1, changing: true)) }
        let sendIndex = actions.firstIndex { if case .broadcast(.viewChange) = $0 { return true } else { return false } }
        #expect(viewIndex != nil && sendIndex != nil && viewIndex! < sendIndex!)
        #expect(persistedBeforeSent(actions))
    }

    @Test func aSilentPrimaryIsReplacedAndTheRequestCommitsInTheNewView() {
        var h = Self.silentPrimary()
        h.tick(12)
        for id in 1..<4 {
            #expect(h.replicas[id].view == 1)
            #expect(h.replicas[id].status == .normal)
            #expect(h.sequencesDelivered(ReplicaID(id)) == [1])
        }
    }

    @Test func aPrimaryThatCensorsOneClientIsReplacedAlthoughOtherRequestsCommit() {
        var h = Harness(n: 4, timeoutTicks: 10)
        let censored = Harness.request(client: 0, timestamp: 1)
        for id in 1..<4 { h.step(ReplicaID(id), .request(censored)) }
        for round in 1...12 {
            h.submit(Harness.request(client: 1, timestamp: UInt64(round)))
            h.tick()
        }
        #expect(h.replicas[1].view >= 1)
        #expect(h.delivered[1].contains { $0.requests.contains(censored) })
    }

    @Test func theViewChangeTimeoutDoublesForConsecutiveViewChanges() {
        var h = Self.silentPrimary()
        h.down = [0, 1]  // the primary of view 1 is down too: the new view never comes
        h.tick(10)
        #expect(h.replicas[2].view == 1)
        // Replica 2 starts its new-view timer only with a quorum of view changes (§4.5.2).
        let change = h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest, checkpointProof: [], prepared: []), as: 0)
        h.step(2, .message(.viewChange(change)))
        var ticks = 0
        while h.replicas[2].view == 1 && ticks < 100 { h.step(2, .tick); ticks += 1 }
        #expect(ticks == 20, "the second timeout is twice the first")
        #expect(h.replicas[2].view == 2)
    }

    @Test func fPlusOneViewChangesForHigherViewsMakeAReplicaJoinTheSmallest() {
        var h = Harness(n: 4)
        let genesis = Replica.genesisDigest
        let first = h.sign(ViewChange(newView: 3, stableSequence: 0, stableDigest: genesis, checkpointProof: [], prepared: []), as: 2)
        h.step(1, .message(.viewChange(first)))
        #expect(h.replicas[1].view == 0, "f = 1 view change alone does not move a replica")
        let second = h.sign(ViewChange(newView: 2, stableSequence: 0, stableDigest: genesis, checkpointProof: [], prepared: []), as: 3)
        let actions = h.step(1, .message(.viewChange(second)))
        #expect(h.replicas[1].view == 2)
        #expect(viewChanges(actions).first?.payload.newView == 2)
    }

    @Test func aViewChangeCarriesThePreparedCertificatesAboveTheStableCheckpoint() {
        var h = Harness(n: 4, timeoutTicks: 10)
        h.submit(Harness.request(timestamp: 1))
        h.run(drop: { $0.message.phase == .commit })
        #expect(h.delivered[1].isEmpty)
        var actions: [Action] = []
        h.submit(Harness.request(timestamp: 2))
        h.outbox = []
        for _ in 0..<10 { actions += h.step(1, .tick) }
        let change = viewChanges(actions).first
        #expect(change?.payload.prepared.map(\.sequence) == [1])
        #expect(change?.payload.prepared.first?.prepares.count == 2)
    }

    @Test func theNewPrimaryReproposesPreparedBatchesAndBackupsAcceptTheNewView() {
        var h = Harness(n: 4, timeoutTicks: 10)
        let request = Harness.request(timestamp: 1)
        h.submit(request)
        // Everything prepares, but no commit gets through: nothing executes in view 0.
        h.run(drop: { $0.message.phase == .commit })
        h.down = [0]
        h.submit(Harness.request(client: 1, timestamp: 1))
        h.tick(12)
        for id in 1..<4 {
            #expect(h.replicas[id].view == 1)
            #expect(h.delivered[id].first?.requests == [request], "the prepared batch keeps sequence 1")
        }
    }

    @Test func aBackupRejectsANewViewWhoseOSetDiffersFromItsOwnComputation() {
        var h = Harness(n: 4)
        let batch = Batch(requests: [Harness.request(timestamp: 1)])
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0)
        let certificate = PreparedCertificate(prePrepare: prePrepare, prepares: [
            h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: 2),
            h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: 3),
        ])
        let genesis = Replica.genesisDigest
        let changes = [1, 2, 3].map { id in
            h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: genesis, checkpointProof: [],
                              prepared: id == 2 ? [certificate] : []), as: ReplicaID(id))
        }
        // The new primary (1) leaves the prepared batch out: a null batch at sequence 1.
        let wrong = h.sign(NewView(view: 1, viewChanges: changes,
                                   prePrepares: [h.sign(PrePrepare(view: 1, sequence: 1, batch: .null), as: 1)]), as: 1)
        h.step(3, .message(.newView(wrong)))
        #expect(h.replicas[3].counters.rejectedNewViews == 1)
        #expect(h.replicas[3].view == 2)
        let right = h.sign(NewView(view: 1, viewChanges: changes,
                                   prePrepares: [h.sign(PrePrepare(view: 1, sequence: 1, batch: batch), as: 1)]), as: 1)
        var fresh = Harness(n: 4)
        let actions = fresh.step(2, .message(.newView(right)))
        #expect(fresh.replicas[2].view == 1 && fresh.replicas[2].status == .normal)
        #expect(prepares(actions).first?.payload.digest == batch.digest)
    }

    @Test func theNewViewPlanTakesTheHighestViewCertificateAndFillsGapsWithNullBatches() {
        let h = Harness(n: 4)
        func certificate(view: UInt64, sequence: UInt64, batch: Batch) -> PreparedCertificate {
            let primary = h.config.primary(of: view)
            let backups = (0..<4).map(ReplicaID.init).filter { $0 != primary }.prefix(2)
            return PreparedCertificate(
                prePrepare: h.sign(PrePrepare(view: view, sequence: sequence, batch: batch), as: primary),
                prepares: backups.map { h.sign(Prepare(view: view, sequence: sequence, digest: batch.digest), as: $0) })
        }
        let old = Batch(requests: [Harness.request(timestamp: 1)])
        let newer = Batch(requests: [Harness.request(timestamp: 2)])
        let genesis = Replica.genesisDigest
        let changes = [
            ViewChange(newView: 3, stableSequence: 0, stableDigest: genesis, checkpointProof: [],
                       prepared: [certificate(view: 0, sequence: 1, batch: old), certificate(view: 0, sequence: 3, batch: old)]),
            ViewChange(newView: 3, stableSequence: 0, stableDigest: genesis, checkpointProof: [],
                       prepared: [certificate(view: 2, sequence: 1, batch: newer)]),
        ]
        let plan = NewViewPlan(viewChanges: changes, config: h.config)
        #expect(plan.entries.map(\.sequence) == [1, 2, 3])
        #expect(plan.entries.map(\.batch) == [newer, .null, old])
        var unsafeConfig = h.config
        unsafeConfig.unsafeIgnorePreparedCertificatesInNewView = true
        #expect(NewViewPlan(viewChanges: changes, config: unsafeConfig).entries.isEmpty, "the broken rule drops them")
    }

    @Test func aPrimaryWhoseProposalsCannotCommitStartsAViewChangeItself() {
        var h = Harness(n: 4, timeoutTicks: 10)
        h.down = [1, 2, 3]
        h.step(0, .request(Harness.request(timestamp: 1)))
        var actions: [Action] = []
        for _ in 0..<10 { actions += h.step(0, .tick) }
        #expect(viewChanges(actions).first?.payload.newView == 1)
    }

    @Test func aLoneReplicaInAViewChangeDoesNotRaceThroughViews() {
        var h = Self.silentPrimary()
        h.down = [0, 2, 3]
        for _ in 0..<1_000 { h.step(1, .tick) }
        #expect(h.replicas[1].view == 1, "without f+1 view changes for its view its timer never starts")
    }

    @Test func aBackupInTheViewForwardsTheNewViewToAStaleReplica() {
        var h = Self.silentPrimary()
        h.tick(12)
        #expect(h.replicas[2].view == 1 && h.replicas[2].status == .normal)
        h.down = []
        let stale = h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest, checkpointProof: [], prepared: []), as: 0)
        let actions = h.step(2, .message(.viewChange(stale)))
        #expect(actions.contains { if case .send(.newView(let m), 0) = $0 { return m.sender == 1 } else { return false } })
    }

    @Test func aPrimaryAnswersAStaleViewChangeWithItsNewView() {
        var h = Self.silentPrimary()
        h.tick(12)
        #expect(h.replicas[1].view == 1 && h.replicas[1].isPrimary)
        h.down = []
        let stale = h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest, checkpointProof: [], prepared: []), as: 0)
        let actions = h.step(1, .message(.viewChange(stale)))
        #expect(actions.contains { if case .send(.newView, 0) = $0 { return true } else { return false } })
    }
}
