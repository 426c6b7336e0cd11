import PoECrypto
import PoENodeCore
import Testing

@testable import PoENode

/// The inbox in front of the loop is bounded in inputs and in bytes, and never blocks.
@Suite struct NodeInboxTests {
    let peer = PrivateKey.deterministic(seed: "inbox-peer").publicKey

    func frame(_ count: Int) -> NodeInput { .peer(peer, [UInt8](repeating: 7, count: count)) }

    @Test func largeFramesAreDroppedPastTheByteBoundAndCounted() {
        let inbox = NodeInbox(capacity: 1_000, bytesMax: 10_000)
        let accepted = (0..<5).map { _ in inbox.enqueue(frame(3_000)) }
        #expect(accepted == [true, true, true, false, false], "three frames of about 3 KB fit in 10 KB")
        #expect(inbox.dropped == 2)
        #expect(inbox.queued.count == 3 && inbox.queued.bytes == 3 * NodeInbox.size(of: frame(3_000)))
        #expect(inbox.enqueue(.tick, reserved: true), "a reserved input passes a full inbox")

        let group = inbox.nextGroup(max: 16)
        #expect(group.count == 4)
        #expect(inbox.queued.count == 0 && inbox.queued.bytes == 0, "a drained inbox holds nothing")
        #expect(inbox.enqueue(frame(3_000)), "room again once drained")
    }

    @Test func theInputBoundHoldsForSmallInputs() {
        let inbox = NodeInbox(capacity: 3, bytesMax: 1 << 20)
        #expect((0..<4).map { _ in inbox.enqueue(.tick) } == [true, true, true, false])
        #expect(inbox.dropped == 1)
    }

    @Test func aClosedInboxDrainsThenEnds() {
        let inbox = NodeInbox(capacity: 8, bytesMax: 1 << 20)
        inbox.enqueue(frame(10))
        inbox.close()
        #expect(!inbox.enqueue(.tick), "nothing is queued after close")
        #expect(inbox.next() != nil)
        #expect(inbox.next() == nil)
    }
}
