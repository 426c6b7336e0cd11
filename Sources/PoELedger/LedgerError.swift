public import PoECrypto

/// Why the ledger refused a whole batch, a database or a snapshot. Distinct from
/// `Rejection`, which fails one transaction inside an applied batch.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidGenesis(GenesisError)
    case genesisMismatch(stored: Digest, given: Digest)
    case heightGap(expected: UInt64, got: UInt64)
    case conflictingBatch(height: UInt64)
    case receiptUnavailable(height: UInt64)
    case tooManyTransactions(count: Int)
    case oversizedTransaction(index: Int, bytes: Int)
    case snapshotGenesisMismatch
    case snapshotRootMismatch(expected: Digest, actual: Digest)
    case snapshotContradictsAnchor(jobID: Digest)
    case databaseNotEmpty
    case corrupt(String)

    public var description: String {
        switch self {
        case .invalidGenesis(let error): return error.description
        case .genesisMismatch(let stored, let given):
            return "database was made from genesis \(stored.short), not \(given.short)"
        case .heightGap(let expected, let got): return "batch height \(got), expected \(expected)"
        case .conflictingBatch(let height): return "a different batch was already applied at height \(height)"
        case .receiptUnavailable(let height):
            return "height \(height) is already applied but its receipt is not stored (restored from a snapshot)"
        case .tooManyTransactions(let count): return "batch of \(count) transactions over \(Batch.transactionCountMax)"
        case .oversizedTransaction(let index, let bytes):
            return "transaction \(index) has a \(bytes)-byte body, over \(SignedTransaction.bodyBytesMax)"
        case .snapshotGenesisMismatch: return "snapshot belongs to another genesis"
        case .snapshotRootMismatch(let expected, let actual):
            return "snapshot root \(actual.short) is not the expected \(expected.short)"
        case .snapshotContradictsAnchor(let jobID):
            return "snapshot changes or drops the anchor of job \(jobID.short), which is write-once"
        case .databaseNotEmpty: return "cannot restore a snapshot into a database that already holds a ledger"
        case .corrupt(let why): return "ledger database is corrupt: \(why)"
        }
    }
}
