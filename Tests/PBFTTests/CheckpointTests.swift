@testable import PBFT
import PoECrypto
import Testing

/// Castro & Liskov §4.3 (garbage collection, checkpoints, watermarks) and §5.3 (state transfer).
@Suite struct CheckpointTests {
    static func runRequests(_ h: inout Harness, count: Int) {
        for timestamp in 1...count { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run()
    }

    /// Replica 3 misses four requests (a checkpoint at 4), then the others' checkpoint
    /// messages reach it: it is behind a stable checkpoint and asks for the state.
    static func leaveReplica3BehindStableCheckpoint4(_ h: inout Harness) {
        h.down = [3]
        runRequests(&h, count: 4)
        h.down = []
        let digest = h.replicas[0].stable.digest
        for id in 0..<3 {
            let vote = h.sign(Checkpoint(sequence: 4, stateDigest: digest), as: ReplicaID(id))
            h.step(3, .message(.checkpoint(vote)))
        }
    }

    @Test func aReplicaMulticastsACheckpointEveryKSequenceNumbers() {
        var h = Harness(n: 4, checkpointInterval: 4)
        var sent: [Signed<Checkpoint>] = []
        for timestamp in 1...4 {
            for id in 0..<4 {
                let actions = h.step(ReplicaID(id), .request(Harness.request(timestamp: UInt64(timestamp))))
                if id == 1 { sent += broadcasts(actions).compactMap { if case .checkpoint(let m) = $0 { return m } else { return nil } } }
            }
            while !h.outbox.isEmpty {
                let envelope = h.outbox.removeFirst()
                let actions = h.step(envelope.to, .message(envelope.message))
                if envelope.to == 1 { sent += broadcasts(actions).compactMap { if case .checkpoint(let m) = $0 { return m } else { return nil } } }
            }
        }
        #expect(sent.map(\.payload.sequence) == [4])
    }

    @Test func aCheckpointBecomesStableWithAQuorumAndEverythingBelowIsCollected() {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 8)
        Self.runRequests(&h, count: 5)
        for id in 0..<4 {
            let replica = h.replicas[id]
            #expect(replica.stable.sequence == 4)
            #expect(replica.stable.proof.count == 3)
            #expect(replica.footprint.slots == 1, "only sequence 5 is left in the log")
            #expect(h.persisted[id].contains { if case .stableCheckpoint(4, _, _) = $0 { return true } else { return false } })
        }
    }

    @Test func theWindowStopsThePrimaryAtTheHighWatermarkUntilACheckpointIsStable() {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 4)
        // Without checkpoint messages the low watermark stays at 0.
        for timestamp in 1...6 { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
        h.run(drop: { $0.message.phase == .checkpoint })
        #expect(h.replicas[0].lastExecuted == 4)
        #expect(h.replicas[0].stable.sequence == 0)
        #expect(h.delivered[0].count == 4, "sequence 5 is above the high watermark 0 + 4")
    }

    @Test func checkpointVotesPerSenderAreBoundedWhateverTheSenderSends() {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 8)
        for index in 1...200 {
            let vote = h.sign(Checkpoint(sequence: UInt64(index) * 4, stateDigest: Digest.sha256("x\(index)")), as: 3)
            h.step(1, .message(.checkpoint(vote)))
        }
        #expect(h.replicas[1].footprint.checkpointVotes <= h.replicas[1].checkpointVotesPerSenderMax)
        #expect(h.replicas[1].footprintWithinBounds)
    }

    @Test func aReplicaBehindAStableCheckpointAsksForTheStateAndRefusesAWrongOne() {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 8)
        Self.leaveReplica3BehindStableCheckpoint4(&h)
        #expect(h.fetches[3].first?.sequence == 4)
        #expect(h.replicas[3].stateTransfer?.sequence == 4)
        let wrong = StateSnapshot(sequence: 4, appDigest: Digest.sha256("wrong"), clientTable: h.replicas[0].stableClientTable!)
        h.step(3, .stateTransferred(wrong))
        #expect(h.replicas[3].counters.rejectedStateTransfers == 1)
        #expect(h.replicas[3].lastExecuted == 0)
        let right = StateSnapshot(sequence: 4, appDigest: h.appDigest(0), clientTable: h.replicas[0].stableClientTable!)
        h.step(3, .stateTransferred(right))
        #expect(h.replicas[3].lastExecuted == 4)
        #expect(h.replicas[3].stateTransfer == nil)
    }

    @Test func aReplicaFetchingStateDoesNotBlameThePrimaryForItsOwnWait() {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 8, timeoutTicks: 10)
        Self.leaveReplica3BehindStableCheckpoint4(&h)
        // A request reaches replica 3 only, while it waits for the state.
        h.step(3, .request(Harness.request(client: 3, timestamp: 99)))
        for _ in 0..<30 { h.step(3, .tick) }
        #expect(h.replicas[3].view == 0, "no view change while the replica itself is behind")
        let state = StateSnapshot(sequence: 4, appDigest: h.appDigest(0), clientTable: h.replicas[0].stableClientTable!)
        h.step(3, .stateTransferred(state))
        for _ in 0..<9 { h.step(3, .tick) }
        #expect(h.replicas[3].view == 0, "the request's timer starts when the transfer ends")
        h.step(3, .tick)
        #expect(h.replicas[3].view == 1, "and then a stalled request still replaces the primary")
    }

    @Test func farFutureVotesLeaveMemoryWithinTheWindowBounds() {
        var h = Harness(n: 4, windowSize: 8)
        for index in 0..<500 {
            let sequence = UInt64(9 + index)
            h.step(1, .message(.prepare(h.sign(Prepare(view: 0, sequence: sequence, digest: .zero), as: 2))))
            h.step(1, .message(.commit(h.sign(Commit(view: UInt64(index) + 1, sequence: 1, digest: .zero), as: 3))))
        }
        #expect(h.replicas[1].footprint.slots == 0)
        #expect(h.replicas[1].counters.outOfWindow == 500)
        #expect(h.replicas[1].footprintWithinBounds)
    }
}
