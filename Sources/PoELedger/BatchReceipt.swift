public import PoECrypto
public import PoEWire

/// The outcome of one transaction of a batch.
public struct TransactionResult: Sendable, Equatable {
    public var transactionID: Digest
    /// nil when the transaction applied.
    public var rejection: Rejection?
    /// The job a successful `submitJob` created.
    public var jobID: Digest?

    public init(transactionID: Digest, rejection: Rejection?, jobID: Digest? = nil) {
        self.transactionID = transactionID
        self.rejection = rejection
        self.jobID = jobID
    }

    public var succeeded: Bool { rejection == nil }
}

/// What applying a batch did; stored with the height so re-applying returns it unchanged.
public struct BatchReceipt: Sendable, Equatable {
    public var height: UInt64
    public var batchDigest: Digest
    public var results: [TransactionResult]
    /// Jobs settled (paid or refunded) at this height, in job-ID order.
    public var settledJobs: [Digest]

    public init(height: UInt64, batchDigest: Digest, results: [TransactionResult], settledJobs: [Digest]) {
        self.height = height
        self.batchDigest = batchDigest
        self.results = results
        self.settledJobs = settledJobs
    }
}

extension TransactionResult: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(transactionID)
        writer.writeOptional(rejection)
        writer.writeOptional(jobID)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        transactionID = try reader.read()
        rejection = try reader.readOptional(field: "rejection")
        jobID = try reader.readOptional(field: "job ID")
    }
}

extension BatchReceipt: WireCodable {
    static let settledJobsMax = 1 << 20

    public func encode(to writer: inout WireWriter) {
        writer.write(height)
        writer.write(batchDigest)
        writer.writeArray(results, bound: Batch.transactionCountMax)
        writer.writeArray(settledJobs, bound: BatchReceipt.settledJobsMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        height = try reader.readUInt64()
        batchDigest = try reader.read()
        results = try reader.readArray(bound: Batch.transactionCountMax, minElementBytes: 34, field: "results")
        settledJobs = try reader.readArray(bound: BatchReceipt.settledJobsMax, minElementBytes: 32, field: "settled jobs")
    }
}
