@testable import PBFT
import PoECrypto
import Testing

/// Empty batches: an idle primary moves the sequence forward while the application
/// wants progress (a job waiting for its deadline height), one rule per test.
@Suite struct EmptyBatchTests {
    @Test func anIdlePrimaryProposesAnEmptyBatchOnlyWhileProgressIsWanted() {
        var h = Harness(n: 4, emptyBatchTicks: 3)
        h.tick(10)
        #expect(h.sequencesDelivered(0).isEmpty, "nothing wanted, nothing proposed")
        for id in 0..<4 { h.step(ReplicaID(id), .progressWanted(true)) }
        h.run()
        for id in 0..<4 {
            #expect(h.sequencesDelivered(ReplicaID(id)) == [1], "idle past the interval: proposed at once")
            #expect(h.delivered[id].first?.requests.isEmpty == true)
        }
        h.tick(2)
        #expect(h.sequencesDelivered(0) == [1], "the next waits for the interval")
        h.tick(1)
        #expect(h.sequencesDelivered(0) == [1, 2])
        for id in 0..<4 { h.step(ReplicaID(id), .progressWanted(false)) }
        h.tick(10)
        #expect(h.sequencesDelivered(0) == [1, 2], "no more once the application is satisfied")
    }

    @Test func emptyBatchesGoOneAtATime() {
        var h = Harness(n: 4, emptyBatchTicks: 2)
        h.step(0, .progressWanted(true))
        var proposed: [Signed<PrePrepare>] = []
        for _ in 0..<20 {
            proposed += prePrepares(h.step(0, .tick))
            h.outbox.removeAll()
        }
        #expect(proposed.map(\.payload.sequence) == [1], "the next waits until the last one executed")
    }

    @Test func aWaitingRequestIsProposedInsteadOfAnEmptyBatch() {
        var h = Harness(n: 4, emptyBatchTicks: 1)
        for id in 0..<4 { h.step(ReplicaID(id), .progressWanted(true)) }
        h.submit(Harness.request(timestamp: 1))
        h.run()
        #expect(h.delivered[0].first?.requests.count == 1, "the first batch carries the request")
    }

    @Test func noEmptyBatchesWhenTheIntervalIsUnset() {
        var h = Harness(n: 4)
        for id in 0..<4 { h.step(ReplicaID(id), .progressWanted(true)) }
        h.tick(50)
        #expect(h.sequencesDelivered(0).isEmpty)
    }

    /// Seed 82,089 of the long run: a primary that proposes nothing, with nothing pending
    /// anywhere, while a job waits on later heights. Backups must vote it out.
    @Test func backupsReplaceAPrimaryThatProposesNothingWhileProgressIsWanted() {
        var h = Harness(n: 4, timeoutTicks: 10, emptyBatchTicks: 3)
        h.down = [0]
        for id in 1..<4 { h.step(ReplicaID(id), .progressWanted(true)) }
        h.tick(12)
        #expect(h.replicas[1].view == 0, "not before the interval plus the timeout")
        h.tick(3)
        for id in 1..<4 {
            #expect(h.replicas[id].view == 1)
            #expect(h.replicas[id].status == .normal)
        }
        h.tick(4)
        #expect(!h.sequencesDelivered(1).isEmpty, "the new primary proposes the empty batches")
    }

    @Test func anIdleChainWithNothingWantedKeepsItsPrimary() {
        var h = Harness(n: 4, timeoutTicks: 10, emptyBatchTicks: 3)
        h.down = [0]
        h.tick(60)
        for id in 1..<4 { #expect(h.replicas[id].view == 0) }
    }

    @Test func emptyBatchesArrivingInTimeKeepThePrimary() {
        var h = Harness(n: 4, timeoutTicks: 10, emptyBatchTicks: 3)
        for id in 0..<4 { h.step(ReplicaID(id), .progressWanted(true)) }
        h.tick(60)
        for id in 0..<4 { #expect(h.replicas[id].view == 0) }
        #expect(h.sequencesDelivered(1).count >= 10)
    }
}
