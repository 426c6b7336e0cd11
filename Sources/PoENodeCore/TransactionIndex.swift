import PoECrypto
import PoELedger

/// The fate of recent transactions, bounded: the oldest entries fall out first. The
/// ledger's receipts remain the record; this is the API's fast path.
struct TransactionIndex {
    let capacity: Int
    private var statuses: [Digest: TransactionStatus] = [:]
    private var order: [Digest] = []
    private var orderStart = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    subscript(id: Digest) -> TransactionStatus? { statuses[id] }

    var count: Int { statuses.count }

    /// A pending transaction is the one entry the ledger cannot answer for, so eviction
    /// passes over it (moving it to the back) while an older settled entry can go; after a
    /// full round of pending ones the oldest goes whatever it is, so the bound holds.
    mutating func set(_ id: Digest, _ status: TransactionStatus) {
        if statuses.updateValue(status, forKey: id) == nil { order.append(id) }
        var passedOver = 0
        while statuses.count > capacity, orderStart < order.count {
            let oldest = order[orderStart]
            orderStart += 1
            if case .pending? = statuses[oldest], passedOver < statuses.count {
                passedOver += 1
                order.append(oldest)
                continue
            }
            statuses[oldest] = nil
        }
        if orderStart > 2 * capacity {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        assert(statuses.count <= capacity)
    }

    /// Sets a status of a transaction not yet ordered (unknown, pending, or refused before
    /// and now submitted again); an ordered one keeps its committed or rejected status.
    mutating func setIfUnordered(_ id: Digest, _ status: TransactionStatus) {
        switch statuses[id] {
        case nil, .pending?, .refused?: set(id, status)
        case .committed?, .rejected?: break
        }
    }

    mutating func record(_ receipt: BatchReceipt) {
        for result in receipt.results {
            if let rejection = result.rejection {
                set(result.transactionID, .rejected(height: receipt.height, reason: rejection.description))
            } else {
                set(result.transactionID, .committed(height: receipt.height, jobID: result.jobID))
            }
        }
    }
}
