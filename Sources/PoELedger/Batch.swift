public import PoECrypto
public import PoEWire

/// What consensus commits at one height: transactions in order.
public struct Batch: Sendable, Equatable {
    public static let transactionCountMax = 10_000

    public var height: UInt64
    public var transactions: [SignedTransaction]

    public init(height: UInt64, transactions: [SignedTransaction]) {
        self.height = height
        self.transactions = transactions
    }

    public var digest: Digest { Digest.of(self) }
}

extension Batch: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(height)
        writer.writeArray(transactions, bound: Batch.transactionCountMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        height = try reader.readUInt64()
        transactions = try reader.readArray(bound: Batch.transactionCountMax, minElementBytes: 108, field: "transactions")
    }
}
