@testable import PBFT
import PoECrypto
import Testing

/// Castro & Liskov §4.2 (normal-case operation) and §4.1 (client requests), one rule per test.
@Suite struct NormalCaseTests {
    @Test func primaryAssignsTheNextSequenceAndPersistsThePrePrepareBeforeSendingIt() {
        var h = Harness(n: 4)
        let actions = h.step(0, .request(Harness.request(timestamp: 1)))
        let sent = prePrepares(actions)
        #expect(sent.count == 1)
        #expect(sent.first?.payload.sequence == 1)
        #expect(sent.first?.payload.view == 0)
        #expect(persistedBeforeSent(actions))
    }

    @Test func aReplicaHoldsAtMostTheBoundOfPendingRequestsAndSaysWhenItWouldRefuse() {
        var h = Harness(n: 4)
        let bound = h.config.pendingRequestsMax
        let requests = (1...UInt64(bound + 1)).map { Harness.request(timestamp: $0) }
        for request in requests.prefix(bound) {
            #expect(!h.replicas[1].refusesRequest(request.key))
            h.step(1, .request(request))
        }
        #expect(h.replicas[1].pendingRequestCount == bound)
        #expect(h.replicas[1].refusesRequest(requests[bound].key), "a new request finds no room")
        #expect(!h.replicas[1].refusesRequest(requests[0].key), "a pending one is a duplicate, not refused")
        h.step(1, .request(requests[bound]))
        #expect(h.replicas[1].pendingRequestCount == bound)
        #expect(h.replicas[1].counters.pendingFull == 1)
    }

    @Test func backupDoesNotProposeRequests() {
        var h = Harness(n: 4)
        let actions = h.step(1, .request(Harness.request(timestamp: 1)))
        #expect(prePrepares(actions).isEmpty)
    }

    /// Adaptive batching: with nothing in flight a request leaves at once; while a batch
    /// is in flight the next one grows to the batch size, or leaves after the batch delay.
    @Test func primaryProposesAtOnceWhenIdleAndBatchesWhileABatchIsInFlight() {
        var h = Harness(n: 4, batchSizeMax: 3, batchDelayTicks: 5)
        let first = prePrepares(h.step(0, .request(Harness.request(client: 0, timestamp: 1))))
        #expect(first.count == 1 && first.first?.payload.batch.requests.count == 1, "nothing in flight: proposed at once")
        #expect(prePrepares(h.step(0, .request(Harness.request(client: 1, timestamp: 1)))).isEmpty, "one in flight: it waits")
        #expect(prePrepares(h.step(0, .request(Harness.request(client: 2, timestamp: 1)))).isEmpty)
        let full = prePrepares(h.step(0, .request(Harness.request(client: 3, timestamp: 1))))
        #expect(full.count == 1 && full.first?.payload.batch.requests.count == 3, "a full batch leaves at once")
        #expect(full.first?.payload.sequence == 2)
        h.step(0, .request(Harness.request(client: 0, timestamp: 2)))
        var proposed: [Signed<PrePrepare>] = []
        for _ in 0..<5 { proposed += prePrepares(h.step(0, .tick)) }
        #expect(proposed.count == 1, "a partial batch leaves after the batch delay")
        #expect(proposed.first?.payload.sequence == 3)
    }

    /// With no batch delay every request leaves on arrival, even after the primary found
    /// nothing left to propose (it then skips its search only while nothing could be due).
    @Test func withNoBatchDelayEachRequestLeavesOnArrivalWhileOthersAreInFlight() {
        var h = Harness(n: 4, batchSizeMax: 3, batchDelayTicks: 0)
        var sequences: [UInt64] = []
        for client in 0..<4 {
            sequences += prePrepares(h.step(0, .request(Harness.request(client: client, timestamp: 1)))).map(\.payload.sequence)
        }
        #expect(sequences == [1, 2, 3, 4])
    }

    /// Messages that move nothing the batch rule reads (a prepare of a batch in flight) do
    /// not make the primary lose track of the requests it holds back: they leave when the
    /// batch fills, or on the tick after the delay.
    @Test func heldRequestsLeaveWhenTheBatchFillsWhateverMessagesCameBetween() {
        var h = Harness(n: 4, batchSizeMax: 3, batchDelayTicks: 5)
        let first = prePrepares(h.step(0, .request(Harness.request(client: 0, timestamp: 1))))
        #expect(first.count == 1)
        var proposed: [Signed<PrePrepare>] = []
        for client in 1...2 {
            proposed += prePrepares(h.step(0, .request(Harness.request(client: client, timestamp: 1))))
            let prepare = h.sign(Prepare(view: 0, sequence: 1, digest: first[0].payload.batch.digest), as: ReplicaID(client))
            proposed += prePrepares(h.step(0, .message(.prepare(prepare))))
        }
        #expect(proposed.isEmpty, "two held requests, one batch in flight")
        proposed += prePrepares(h.step(0, .request(Harness.request(client: 3, timestamp: 1))))
        #expect(proposed.map(\.payload.batch.requests.count) == [3], "the third fills the batch")
    }

    /// A batch is closed at 1 MiB of operations as well as at its count, so that a
    /// pre-prepare fits a peer frame (4 MiB) whatever requests reach the primary.
    @Test func primaryClosesABatchAtItsByteBoundAndBackupsRefuseALargerOne() {
        var h = Harness(n: 4, windowSize: 8, batchSizeMax: 64, batchDelayTicks: 5, pendingRequestsMax: 64)
        let big = String(repeating: "x", count: Limits.operationBytesMax)
        // The first request leaves at once (nothing in flight); the next 40 (2.5 MiB) wait.
        _ = h.step(0, .request(Harness.request(client: 0, timestamp: 1, operation: big)))
        var proposed: [Signed<PrePrepare>] = []
        for client in 1...40 { proposed += prePrepares(h.step(0, .request(Harness.request(client: client, timestamp: 1, operation: big)))) }
        for _ in 0..<5 { proposed += prePrepares(h.step(0, .tick)) }
        let sizes = proposed.map { $0.payload.batch.requests.reduce(0) { $0 + $1.operation.count } }
        #expect(proposed.map(\.payload.batch.requests.count) == [16, 16, 8])
        #expect(sizes.allSatisfy { $0 <= Limits.batchOperationBytesMax })

        let oversized = Batch(requests: (0..<17).map { Harness.request(client: $0, timestamp: 2, operation: big) })
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 5, batch: oversized), as: 0)
        #expect(throws: ValidationError.batchBytesTooLarge(bytes: 17 * Limits.operationBytesMax)) {
            try MessageValidator(config: h.config).validate(.prePrepare(prePrepare))
        }
    }

    @Test func primaryPipelinesSeveralSequenceNumbersBeforeAnyCommits() {
        var h = Harness(n: 4)
        var sequences: [UInt64] = []
        for client in 0..<3 { sequences += prePrepares(h.step(0, .request(Harness.request(client: client, timestamp: 1)))).map(\.payload.sequence) }
        #expect(sequences == [1, 2, 3])
    }

    @Test func backupAcceptsAPrePrepareAndMulticastsAPrepareAfterPersistingIt() {
        var h = Harness(n: 4)
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [Harness.request(timestamp: 1)])), as: 0)
        let actions = h.step(1, .message(.prePrepare(prePrepare)))
        let sent = prepares(actions)
        #expect(sent.count == 1)
        #expect(sent.first?.payload.digest == prePrepare.payload.batch.digest)
        #expect(persistedBeforeSent(actions))
    }

    @Test func backupRefusesASecondDifferentPrePrepareForTheSameViewAndSequence() {
        var h = Harness(n: 4)
        let first = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [Harness.request(timestamp: 1)])), as: 0)
        let second = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [Harness.request(timestamp: 2)])), as: 0)
        h.step(1, .message(.prePrepare(first)))
        let actions = h.step(1, .message(.prePrepare(second)))
        #expect(prepares(actions).isEmpty)
        #expect(h.replicas[1].counters.conflictingPrePrepares == 1)
    }

    @Test func prePrepareAboveTheHighWatermarkIsIgnored() {
        var h = Harness(n: 4, windowSize: 8)
        let far = h.sign(PrePrepare(view: 0, sequence: 9, batch: .null), as: 0)
        #expect(prepares(h.step(1, .message(.prePrepare(far)))).isEmpty)
        #expect(h.replicas[1].counters.outOfWindow == 1)
    }

    @Test func prePrepareForAnotherViewIsIgnored() {
        var h = Harness(n: 4)
        let other = h.sign(PrePrepare(view: 1, sequence: 1, batch: .null), as: 1)
        #expect(prepares(h.step(2, .message(.prePrepare(other)))).isEmpty)
        #expect(h.replicas[2].counters.wrongView == 1)
    }

    @Test func replicaIsPreparedWithThePrePrepareAndQuorumMinusOnePreparesThenPersistsTheCertificateBeforeCommitting() {
        var h = Harness(n: 4)
        let batch = Batch(requests: [Harness.request(timestamp: 1)])
        h.step(1, .message(.prePrepare(h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0))))
        // n = 4: quorum 3, so the pre-prepare and 2 prepares (its own and one more).
        let actions = h.step(1, .message(.prepare(h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: 2))))
        #expect(commits(actions).count == 1)
        let certificateIndex = actions.firstIndex { if case .persist(.prepared) = $0 { return true } else { return false } }
        let commitIndex = actions.firstIndex { if case .broadcast(.commit) = $0 { return true } else { return false } }
        #expect(certificateIndex != nil && commitIndex != nil && certificateIndex! < commitIndex!)
    }

    @Test func preparesForAnotherDigestDoNotPrepare() {
        var h = Harness(n: 4)
        let batch = Batch(requests: [Harness.request(timestamp: 1)])
        h.step(1, .message(.prePrepare(h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0))))
        let actions = h.step(1, .message(.prepare(h.sign(Prepare(view: 0, sequence: 1, digest: Batch.null.digest), as: 2))))
        #expect(commits(actions).isEmpty)
    }

    @Test func committedLocalNeedsAQuorumOfCommitsThenDelivers() {
        var h = Harness(n: 4)
        let batch = Batch(requests: [Harness.request(timestamp: 1)])
        h.step(1, .message(.prePrepare(h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0))))
        h.step(1, .message(.prepare(h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: 2))))
        h.step(1, .message(.commit(h.sign(Commit(view: 0, sequence: 1, digest: batch.digest), as: 2))))
        #expect(h.delivered[1].isEmpty, "own commit + 1 is below the quorum of 3")
        h.step(1, .message(.commit(h.sign(Commit(view: 0, sequence: 1, digest: batch.digest), as: 3))))
        #expect(h.sequencesDelivered(1) == [1])
    }

    @Test func batchesExecuteInSequenceOrderEvenIfCommittedOutOfOrder() {
        var h = Harness(n: 4)
        h.submit(Harness.request(client: 0, timestamp: 1))
        h.submit(Harness.request(client: 1, timestamp: 1))
        // Hold every message about sequence 1 until sequence 2 is committed.
        var held: [Harness.Envelope] = []
        h.run(drop: { envelope in
            if envelope.message.slot.sequence == 1 { held.append(envelope); return true }
            return false
        })
        #expect(h.delivered.allSatisfy { $0.isEmpty })
        h.outbox = held
        h.run()
        for id in 0..<4 { #expect(h.sequencesDelivered(ReplicaID(id)) == [1, 2]) }
    }

    @Test func aClusterCommitsTheSameBatchesOnEveryReplica() {
        var h = Harness(n: 4)
        for timestamp: UInt64 in 1...6 { h.submit(Harness.request(client: Int(timestamp) % 2, timestamp: timestamp)) }
        h.run()
        let reference = h.delivered[0].map { $0.requests.map(\.digest) }
        #expect(reference.count == 6)
        for id in 1..<4 { #expect(h.delivered[id].map { $0.requests.map(\.digest) } == reference) }
    }

    @Test(arguments: [1, 2, 3, 5, 6, 8])
    func quorumsWorkForAnyClusterSize(n: Int) {
        var h = Harness(n: n)
        h.submit(Harness.request(timestamp: 1))
        h.run()
        for id in 0..<n { #expect(h.sequencesDelivered(ReplicaID(id)) == [1]) }
    }

    @Test func aRequestIsExecutedAtMostOnceEvenIfSubmittedAgain() {
        var h = Harness(n: 4)
        let request = Harness.request(timestamp: 1)
        h.submit(request)
        h.run()
        h.submit(request)
        h.run()
        #expect(h.delivered[0].count == 1)
        #expect(h.replicas[0].counters.duplicates >= 1)
    }

    @Test func anOlderTimestampThanTheLastExecutedIsNotExecuted() {
        var h = Harness(n: 4)
        h.submit(Harness.request(timestamp: 5))
        h.run()
        // A faulty primary proposes an old request of the same client: it is ordered but skipped.
        let stale = Batch(requests: [Harness.request(timestamp: 3)])
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 2, batch: stale), as: 0)
        for id in 1..<4 { h.step(ReplicaID(id), .message(.prePrepare(prePrepare))) }
        h.run()
        #expect(h.delivered[1].count == 2)
        #expect(h.delivered[1].last?.requests.isEmpty == true)
    }

    @Test func theClientTableIsBoundedAndEvictsTheLeastRecentlyExecutedClient() {
        var table = ClientTable(capacity: 2)
        let a = Harness.clientKeys[0].publicKey, b = Harness.clientKeys[1].publicKey, c = Harness.clientKeys[2].publicKey
        table.record(RequestKey(client: a, timestamp: 1), sequence: 1)
        table.record(RequestKey(client: b, timestamp: 1), sequence: 2)
        table.record(RequestKey(client: c, timestamp: 1), sequence: 3)
        #expect(table.entries.count == 2)
        #expect(table.entries[a] == nil, "the entry executed longest ago goes")
        #expect(!table.isFresh(RequestKey(client: b, timestamp: 1)))
    }

    @Test func theSameEventsGiveTheSameActions() {
        var first = Harness(n: 4)
        var second = Harness(n: 4)
        for timestamp: UInt64 in 1...3 {
            first.submit(Harness.request(timestamp: timestamp))
            second.submit(Harness.request(timestamp: timestamp))
        }
        first.run()
        second.run()
        #expect(first.persisted == second.persisted)
    }
}
