import PoECrypto
import Testing
@testable import PoENodeCore

/// The index of recent transactions is bounded, and what it forgets first is what the
/// ledger can answer for: a settled transaction, never a pending one while a settled one
/// is left.
@Suite struct TransactionIndexTests {
    static func id(_ index: Int) -> Digest { Digest.sha256("transaction \(index)") }

    @Test func settledEntriesGoFirstAndPendingOnesStay() {
        var index = TransactionIndex(capacity: 4)
        index.set(Self.id(0), .pending)
        index.set(Self.id(1), .pending)
        for n in 2..<8 { index.set(Self.id(n), .committed(height: UInt64(n), jobID: nil)) }
        #expect(index[Self.id(0)] == .pending)
        #expect(index[Self.id(1)] == .pending)
        #expect(index[Self.id(2)] == nil && index[Self.id(5)] == nil)
        #expect(index[Self.id(6)] != nil && index[Self.id(7)] != nil)
        // Once committed, the old pending one may go like any other.
        index.set(Self.id(0), .committed(height: 9, jobID: nil))
        for n in 8..<12 { index.set(Self.id(n), .committed(height: UInt64(n), jobID: nil)) }
        #expect(index[Self.id(0)] == nil)
        #expect(index[Self.id(1)] == .pending)
    }

    @Test func theBoundHoldsWhenEveryEntryIsPending() {
        var index = TransactionIndex(capacity: 8)
        for n in 0..<1_000 {
            index.set(Self.id(n), .pending)
            #expect(index.count <= 8)
        }
        #expect(index[Self.id(999)] == .pending)
    }
}
