@testable import PBFT
import PoECrypto
import Testing

/// Catching up on an idle chain, where no new request times out to pull every replica
/// into one view again (found by the whole-node simulator's convergence check).
@Suite struct CatchUpTests {
    /// A replica alone in a higher view (its view change went nowhere) still executes what
    /// the others commit: a quorum of commits for one (view, digest) with the batch proves
    /// it committed. It does not vote in the view it left.
    @Test func aReplicaAloneInAHigherViewExecutesBatchesCommittedByAQuorumWithoutVoting() {
        var h = Harness(n: 4)
        // Replica 3 moves to view 1 alone: its pending request timed out, the others'
        // did not (they never saw it).
        h.step(3, .request(Harness.request(timestamp: 9, operation: "lost")))
        h.tick(12, drop: { $0.from == 3 || $0.to == 3 })
        #expect(h.replicas[3].view == 1 && h.replicas[3].status == .changingView)
        #expect(h.replicas[0].view == 0)

        // The others commit a batch in view 0; replica 3 only hears them.
        h.outbox = []
        let request = Harness.request(timestamp: 1)
        for id in 0..<3 { h.step(ReplicaID(id), .request(request)) }
        h.run(drop: { $0.from == 3 })
        #expect(h.sequencesDelivered(0) == [1])
        #expect(h.sequencesDelivered(3) == [1], "replica 3 executed the committed batch from the quorum's commits")
        #expect(h.replicas[3].counters.foreignCertificates == 1)
        #expect(h.replicas[3].view == 1, "and stayed in the view it asked for")
        #expect(h.persisted[3].allSatisfy {
            if case .signed(.commit(let m)) = $0 { return m.payload.view != 0 } else { return true }
        }, "it signed nothing in view 0 after leaving it")
    }

    /// When the batch's primary never re-sends its pre-prepare to the replica alone in a
    /// higher view (faulty, or cut off from it), the others answer that replica's
    /// VIEW-CHANGE with the certificates they hold, and it executes from those.
    @Test func aReplicaAloneInAHigherViewIsSentTheBatchesItMissedByTheOthers() {
        var h = Harness(n: 4)
        h.step(3, .request(Harness.request(timestamp: 9, operation: "lost")))
        h.tick(12, drop: { $0.from == 3 || $0.to == 3 })
        #expect(h.replicas[3].view == 1 && h.replicas[3].status == .changingView)
        h.outbox = []
        let request = Harness.request(timestamp: 1)
        for id in 0..<3 { h.step(ReplicaID(id), .request(request)) }
        h.run(drop: { $0.from == 3 || $0.to == 3 })
        #expect(h.sequencesDelivered(0) == [1] && h.sequencesDelivered(3).isEmpty)

        // Links to 3 come back, except from the primary of view 0.
        h.tick(Int(h.config.retransmitTicks) * 2, drop: { $0.from == 0 && $0.to == 3 })
        #expect(h.sequencesDelivered(3) == [1], "replica 3 executed the batch from the certificates forwarded to it")
        #expect(h.replicas[3].counters.foreignCertificates == 1)
        #expect(h.replicas[3].view == 1)
    }

    /// A replica that committed a batch and then left the view keeps its own commit: with
    /// one replica down, the two others' commits and its own are the quorum (it cannot
    /// receive its own commit back from anyone).
    @Test func aReplicaThatLeftAViewCountsItsOwnCommitTowardTheQuorum() {
        var h = Harness(n: 4)
        h.down = [2]
        let request = Harness.request(timestamp: 1)
        for id: ReplicaID in [0, 1, 3] { h.step(id, .request(request)) }
        h.run(drop: { envelope in
            guard envelope.to == 3, case .commit = envelope.message else { return false }
            return true
        })
        #expect(h.sequencesDelivered(0) == [1] && h.sequencesDelivered(3).isEmpty)
        h.tick(12, drop: { $0.to == 3 })
        #expect(h.replicas[3].view == 1 && h.replicas[3].status == .changingView, "its request timed out: it left alone")
        h.tick(Int(h.config.retransmitTicks) * 2)
        #expect(h.sequencesDelivered(3) == [1], "replicas 0 and 1's commits and its own are a quorum")
        #expect(h.replicas[3].counters.foreignCertificates == 1)
    }

    /// A backup that missed a pre-prepare, in the view that decided it, gets it from the
    /// other backups when the primary is gone: they send it to each replica whose commit
    /// they lack.
    @Test func aBackupThatMissedAPrePrepareGetsItFromTheOthersWhenThePrimaryIsGone() {
        var h = Harness(n: 4)
        let request = Harness.request(timestamp: 1)
        for id: ReplicaID in 0..<3 { h.step(id, .request(request)) }
        h.run(drop: { envelope in
            guard envelope.to == 3, case .prePrepare = envelope.message else { return false }
            return true
        })
        #expect(h.sequencesDelivered(1) == [1] && h.sequencesDelivered(3).isEmpty)
        h.down = [0]
        h.tick(Int(h.config.retransmitTicks) * 2)
        #expect(h.sequencesDelivered(3) == [1], "replica 3 had the pre-prepare from a backup and committed in view 0")
        #expect(h.replicas[3].view == 0)
    }

    /// A replica that restarted before deciding a batch has its own commit back, but not
    /// the pre-prepare nor the others' commits; its peers already hold its commit and the
    /// primary is gone. Its STATUS says how far it executed, and they send it the
    /// certificates above that.
    @Test func aReplicaWhoseStatusShowsItBehindIsSentTheCertificatesItLacks() {
        var h = Harness(n: 4)
        let request = Harness.request(timestamp: 1)
        for id: ReplicaID in 0..<4 { h.step(id, .request(request)) }
        h.run(drop: { envelope in
            guard envelope.to == 3, case .commit = envelope.message else { return false }
            return true
        })
        #expect(h.sequencesDelivered(1) == [1] && h.sequencesDelivered(3).isEmpty)
        h.replicas[3] = Replica(restoring: h.persisted[3], config: h.config, id: 3, key: h.key(3))
        h.down = [0]
        h.tick(Int(h.config.retransmitTicks) * 2)
        #expect(h.sequencesDelivered(3) == [1], "replica 3 executed the batch from the certificates its status asked for")
    }

    /// Every replica restarts at once after a batch committed, and the primary that
    /// proposed it had already left the view alone: its commit is gone from the view, and
    /// the backup that never prepared lacks the pre-prepare nobody re-sends. The two that
    /// prepared restore their certificates as prepared, and send the pre-prepare to the
    /// backup whose STATUS shows it stalled in their view: the three commit it again
    /// (simulator seed 9236, n=7).
    @Test func afterEveryReplicaRestartsTheBackupsThatPreparedABatchLetTheOneThatDidNotCommitIt() {
        var h = Harness(n: 4)
        let request = Harness.request(timestamp: 1)
        for id: ReplicaID in 0..<3 { h.step(id, .request(request)) }
        // Replica 3 sees only the pre-prepare: it prepares nothing and commits nothing.
        h.run(drop: { envelope in
            guard envelope.to == 3, case .prePrepare = envelope.message else { return envelope.to == 3 }
            return false
        })
        #expect(h.sequencesDelivered(0) == [1] && h.sequencesDelivered(1) == [1] && h.sequencesDelivered(2) == [1])
        #expect(h.sequencesDelivered(3).isEmpty)
        // The primary leaves view 0 alone (a request only it saw timed out); replica 3
        // is down meanwhile.
        h.step(0, .request(Harness.request(timestamp: 9, operation: "lost")))
        h.tick(12, drop: { $0.from == 0 || $0.to == 0 || $0.to == 3 || $0.from == 3 })
        #expect(h.replicas[0].view == 1 && h.replicas[0].status == .changingView)
        #expect(h.replicas[1].view == 0)

        // Every replica crashes and restarts from its records alone.
        h.outbox = []
        for id: ReplicaID in 0..<4 {
            h.replicas[Int(id)] = Replica(restoring: h.persisted[Int(id)], config: h.config, id: id, key: h.key(id))
        }
        h.tick(Int(h.config.retransmitTicks) * 3)
        #expect(h.sequencesDelivered(3) == [1], "replica 3 prepared and committed the batch with replicas 1 and 2")
        #expect(h.replicas[1].lastExecuted == 1 && h.replicas[2].lastExecuted == 1)
    }

    /// An equivocating primary gave one backup another batch for the sequence the others
    /// committed; with no request waiting there, nothing times out. The quorum's commits
    /// and the primary's own pre-prepare of the committed batch prove it committed, whatever
    /// pre-prepare the backup holds (simulator seed 11753, n=4, after an all-at-once crash).
    @Test func aBackupHoldingAnEquivocatedPrePrepareStillExecutesTheBatchTheQuorumCommitted() {
        var h = Harness(n: 4)
        let request = Harness.request(timestamp: 1)
        for id: ReplicaID in 0..<3 { h.step(id, .request(request)) }
        let other = h.sign(PrePrepare(view: 0, sequence: 1, batch: .null), as: 0)
        h.step(3, .message(.prePrepare(other)))
        h.run(drop: { envelope in
            guard envelope.to == 3, case .prePrepare = envelope.message else { return false }
            return true
        })
        #expect(h.sequencesDelivered(1) == [1] && h.sequencesDelivered(2) == [1])
        #expect(h.sequencesDelivered(3).isEmpty)
        h.tick(Int(h.config.retransmitTicks) * 3)
        #expect(h.sequencesDelivered(3) == [1], "replica 3 executed the batch the quorum committed")
        #expect(h.replicas[3].lastExecuted == 1)
        #expect(h.delivered[3].first?.requests == [request], "the committed batch, not the one replica 3 held")
    }

    /// The other pre-prepare of an equivocating primary decides nothing without a quorum
    /// of commits for it: a backup holding one batch is not moved to another by the
    /// primary alone.
    @Test func anEquivocatedPrePrepareWithoutAQuorumOfCommitsDecidesNothing() {
        var h = Harness(n: 4)
        let held = h.sign(PrePrepare(view: 0, sequence: 1, batch: .null), as: 0)
        h.step(3, .message(.prePrepare(held)))
        let request = Harness.request(timestamp: 1)
        let other = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [request])), as: 0)
        h.step(3, .message(.prePrepare(other)))
        // Two commits for the other batch (the primary's and one backup's): fewer than a quorum.
        for sender: ReplicaID in 0..<2 {
            h.step(3, .message(.commit(h.sign(Commit(view: 0, sequence: 1, digest: other.payload.batch.digest), as: sender))))
        }
        #expect(h.sequencesDelivered(3).isEmpty)
        #expect(h.replicas[3].counters.conflictingPrePrepares == 1)
    }

    /// Fewer than a quorum of commits for a batch prove nothing: nothing is executed.
    @Test func fewerThanAQuorumOfForeignCommitsExecuteNothing() {
        var h = Harness(n: 4)
        h.step(3, .request(Harness.request(timestamp: 9, operation: "lost")))
        h.tick(12, drop: { $0.from == 3 || $0.to == 3 })
        h.outbox = []
        let request = Harness.request(timestamp: 1)
        for id in 0..<3 { h.step(ReplicaID(id), .request(request)) }
        // Replica 3 hears the pre-prepare and only replica 1's commit.
        h.run(drop: { $0.from == 3 || ($0.to == 3 && { if case .commit(let m) = $0.message { return m.sender != 1 } else { return false } }($0)) })
        #expect(h.sequencesDelivered(0) == [1])
        #expect(h.sequencesDelivered(3).isEmpty)
    }

    /// A replica behind a stable checkpoint whose own messages show it is behind gets the
    /// checkpoint's proof from a peer: even when fewer than a quorum of replicas executed
    /// the checkpoint themselves (the others installed its state), it can adopt it.
    @Test func aReplicaBehindAStableCheckpointIsSentItsProof() {
        var h = Harness(n: 4)
        h.down = [3]
        for timestamp in UInt64(1)...4 { h.submit(Harness.request(timestamp: timestamp)) ; h.run() }
        #expect(h.replicas[0].stable.sequence == 4)
        h.down = []
        h.outbox = []
        // Replica 3 says something about a sequence at or below 4 (its checkpoint at 0 is
        // retransmitted, say): replica 0 answers with the proof of checkpoint 4.
        let actions = h.step(0, .message(.checkpoint(h.sign(Checkpoint(sequence: 4, stateDigest: Digest.sha256("stale")), as: 3))))
        let sent = actions.compactMap { action -> Signed<Checkpoint>? in
            if case .send(.checkpoint(let m), to: 3) = action { return m } else { return nil }
        }
        #expect(sent.count >= h.config.quorum.quorum - 1)
        #expect(Set(sent.map(\.payload.sequence)) == [4])
        h.run()
        #expect(h.replicas[3].stable.sequence == 4, "replica 3 adopted the stable checkpoint from the forwarded proof")
        #expect(h.fetches[3].map(\.sequence) == [4], "and asks for its state")
        // Rate-limited: the same signal within a retransmission period sends nothing more.
        let again = h.step(0, .message(.checkpoint(h.sign(Checkpoint(sequence: 4, stateDigest: Digest.sha256("stale")), as: 3))))
        #expect(!again.contains { if case .send(.checkpoint, _) = $0 { return true } else { return false } })
    }
}
