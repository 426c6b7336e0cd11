@testable import PBFT
import PoECrypto
import Testing

/// Crash recovery: a replica rebuilt from its persisted records alone never signs two
/// different votes for one (view, sequence, phase) (Castro & Liskov §4.2 with §6 persistence).
@Suite struct RestoreTests {
    @Test func aRestartedBackupRefusesToPrepareADifferentBatchForTheSameSlot() {
        var h = Harness(n: 4)
        let first = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [Harness.request(timestamp: 1)])), as: 0)
        h.step(1, .message(.prePrepare(first)))
        let restored = Replica(restoring: h.persisted[1], config: h.config, id: 1, key: h.key(1))
        h.replicas[1] = restored
        let equivocation = h.sign(PrePrepare(view: 0, sequence: 1, batch: .null), as: 0)
        let actions = h.step(1, .message(.prePrepare(equivocation)))
        #expect(prepares(actions).isEmpty)
        #expect(h.replicas[1].counters.refusedDoubleSigns == 1)
        // The same batch again is fine: the same vote, re-sent.
        var again = Harness(n: 4)
        again.replicas[1] = Replica(restoring: h.persisted[1], config: h.config, id: 1, key: h.key(1))
        #expect(prepares(again.step(1, .message(.prePrepare(first)))).first?.payload.digest == first.payload.batch.digest)
    }

    /// A restarted replica cannot tell a stalled primary from its own lag until the
    /// others' retransmissions reach it: it listens one timeout before blaming anyone.
    @Test func aRestartedReplicaListensOneTimeoutBeforeItsRequestTimersRun() {
        var h = Harness(n: 4, timeoutTicks: 10)
        h.replicas[3] = Replica(restoring: h.persisted[3], config: h.config, id: 3, key: h.key(3))
        h.step(3, .request(Harness.request(client: 1, timestamp: 1)))
        for _ in 0..<19 { h.step(3, .tick) }
        #expect(h.replicas[3].view == 0, "one timeout of listening, then the request's own timeout")
        h.step(3, .tick)
        #expect(h.replicas[3].view == 1, "a request still stalled after both replaces the primary")
    }

    @Test func aRestartedPrimaryDoesNotReuseASequenceNumber() {
        var h = Harness(n: 4)
        h.step(0, .request(Harness.request(timestamp: 1)))
        h.replicas[0] = Replica(restoring: h.persisted[0], config: h.config, id: 0, key: h.key(0))
        let actions = h.step(0, .request(Harness.request(client: 1, timestamp: 1)))
        #expect(prePrepares(actions).first?.payload.sequence == 2)
    }

    @Test func aRestartedReplicaStillReportsItsPreparedCertificatesInAViewChange() {
        var h = Harness(n: 4, timeoutTicks: 5)
        h.submit(Harness.request(timestamp: 1))
        h.run(drop: { $0.message.phase == .commit })
        h.replicas[2] = Replica(restoring: h.persisted[2], config: h.config, id: 2, key: h.key(2))
        h.step(2, .request(Harness.request(client: 1, timestamp: 1)))
        var actions: [Action] = []
        // One timeout of listening after the restart, then the request's own timeout.
        for _ in 0..<10 { actions += h.step(2, .tick) }
        #expect(viewChanges(actions).first?.payload.prepared.map(\.sequence) == [1])
    }

    @Test func aRestartedReplicaKeepsItsViewAndItsStableCheckpointAndAsksForTheState() {
        var h = Harness(n: 4, checkpointInterval: 4)
        for timestamp in 1...5 { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run()
        let restored = Replica(restoring: PersistedRecord.compact(h.persisted[3]), config: h.config, id: 3, key: h.key(3))
        #expect(restored.stable.sequence == 4)
        #expect(restored.stateTransfer?.sequence == 4)
        #expect(restored.view == 0)
    }

    @Test func compactionKeepsOnlyWhatIsAboveTheStableCheckpoint() {
        var h = Harness(n: 4, checkpointInterval: 4)
        for timestamp in 1...9 { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run()
        let compacted = PersistedRecord.compact(h.persisted[1])
        #expect(compacted.count < h.persisted[1].count)
        for record in compacted {
            switch record {
            case .signed(.checkpoint(let m)): #expect(m.payload.sequence >= 8, "the own checkpoint at the stable one stays")
            case .signed(let message) where message.phase != .viewChange && message.phase != .newView:
                #expect(message.slot.sequence > 8)
            default: break
            }
        }
        #expect(compacted.contains { if case .signed(.checkpoint(let m)) = $0 { m.payload.sequence == 8 } else { false } })
    }

    /// A replica that signed a checkpoint and crashed before it became stable counts its
    /// own vote after restart: with two peers' votes it is a quorum (peers never send a
    /// replica its own vote back). Found by the simulator (seed 47).
    @Test func aRestartedReplicaCountsItsOwnCheckpointVote() throws {
        var h = Harness(n: 4, checkpointInterval: 4)
        for timestamp in 1...4 { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run(drop: { envelope in
            guard envelope.to == 3, case .checkpoint = envelope.message else { return false }
            return true
        })
        #expect(h.replicas[0].stable.sequence == 4 && h.replicas[3].stable.sequence == 0)
        var restored = Replica(restoring: h.persisted[3], config: h.config, id: 3, key: h.key(3))
        for peer in [1, 2] {
            let vote = try #require(h.replicas[peer].lastOwnCheckpoint)
            _ = restored.step(.message(.checkpoint(vote)))
        }
        #expect(restored.stable.sequence == 4, "its own vote and two peers' are a quorum")
    }

    /// A restarted replica re-sends its checkpoint at the stable sequence, even when only
    /// the stable proof holds it: that is how a peer left behind learns of it.
    @Test func aRestartedReplicaResendsItsCheckpointAtTheStableSequence() throws {
        var h = Harness(n: 4, checkpointInterval: 4)
        for timestamp in 1...5 { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run()
        let id = try #require(h.replicas[0].stable.proof.map(\.sender).first)
        let withoutOwnCheckpoints = h.persisted[Int(id)].filter { if case .signed(.checkpoint) = $0 { false } else { true } }
        var restored = Replica(restoring: withoutOwnCheckpoints, config: h.config, id: id, key: h.key(id))
        #expect(restored.stable.sequence == 4)
        var resent: [Signed<Checkpoint>] = []
        for _ in 0..<h.config.retransmitTicks {
            for action in restored.step(.tick) {
                if case .broadcast(.checkpoint(let m)) = action { resent.append(m) }
            }
        }
        #expect(resent.contains { $0.sender == id && $0.payload.sequence == 4 })
    }

    /// A crash between persisting the new view and persisting the view change leaves a
    /// replica "changing" with nothing to retransmit: it signs its view change again.
    @Test func aReplicaThatCrashedBeforePersistingItsViewChangeSendsOneAfterRestart() {
        var h = ViewChangeTests.silentPrimary()
        for _ in 0..<10 { h.step(1, .tick) }
        #expect(h.replicas[1].status == .changingView)
        let withoutViewChange = h.persisted[1].filter { if case .signed(.viewChange) = $0 { return false } else { return true } }
        h.replicas[1] = Replica(restoring: withoutViewChange, config: h.config, id: 1, key: h.key(1))
        #expect(h.replicas[1].view == 1 && h.replicas[1].status == .changingView)
        var actions: [Action] = []
        for _ in 0..<Int(h.config.retransmitTicks) { actions += h.step(1, .tick) }
        #expect(viewChanges(actions).first?.payload.newView == 1)
        #expect(persistedBeforeSent(actions))
    }
}
