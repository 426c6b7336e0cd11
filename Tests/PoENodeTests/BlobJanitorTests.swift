import Foundation
import Logging
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

/// The janitor against a real ledger (in memory) and a real blob store: what it deletes
/// and what it never deletes.
@Suite struct BlobJanitorTests {
    static func limits(unreferencedSeconds: Int = 3_600, retentionEpochs: UInt64 = 1) -> BlobLimits {
        var limits = BlobLimits()
        limits.unreferencedSeconds = unreferencedSeconds
        limits.retentionEpochs = retentionEpochs
        return limits
    }

    static func janitor(_ backend: FakeBackend) -> BlobJanitor {
        BlobJanitor(
            store: backend.blobs, ledger: backend.ledger, uploads: backend.blobUploads,
            logger: Logger(label: "janitor-test"))
    }

    /// Back-dates a blob's file, as if written `seconds` ago.
    static func age(_ store: BlobStore, _ digest: Digest, seconds: Double) throws {
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: store.path(of: digest).path)
    }

    /// Passes `count` heights with empty batches.
    static func pass(_ backend: FakeBackend, heights count: Int) throws {
        for _ in 0..<count { try backend.commitSubmitted() }
    }

    @Test func anOldUploadNoJobNamesIsDeletedAndItsQuotaFreedAFreshOneIsKept() throws {
        let backend = try FakeBackend(blobLimits: Self.limits())
        let owner = TestKeys.account(7).publicKey
        let old = try backend.blobs.put(Array("forgotten".utf8))
        try backend.blobUploads.admit(old, byteCount: 9, owner: owner)
        try Self.age(backend.blobs, old, seconds: 3_700)
        let fresh = try backend.blobs.put(Array("just uploaded".utf8))
        try backend.blobUploads.admit(fresh, byteCount: 13, owner: owner)

        let sweep = try Self.janitor(backend).sweep(now: Date())
        #expect(sweep.deleted == 1)
        #expect(!backend.blobs.contains(old))
        #expect(backend.blobs.contains(fresh))
        #expect(backend.blobUploads.pendingBytes(of: owner) == BlobLimits.chargeBytesMin)
        #expect(backend.blobUploads.usage.storeCharged == BlobLimits.chargeBytesMin)
        #expect(backend.blobUploads.usage.deletedTotal == 1)
    }

    @Test func aJobKeepsItsBlobsUntilRetentionAfterItsDeadlineThenTheyGo() throws {
        let backend = try FakeBackend(blobLimits: Self.limits(retentionEpochs: 1))
        let driver = JobDriver(backend: backend)
        let code = try backend.blobs.put(Array("code".utf8))
        let input = try backend.blobs.put(Array("input".utf8))
        try backend.blobUploads.admit(code, byteCount: 4, owner: TestKeys.account(7).publicKey)
        let (job, _) = try driver.finalizedJob()
        let output = Digest.sha256(JobDriver.output)
        for blob in [code, input, output] { try Self.age(backend.blobs, blob, seconds: 100_000) }

        // Unsettled, then settled within retention: kept, however old the files.
        let janitor = Self.janitor(backend)
        #expect(try janitor.sweep(now: Date()).deleted == 0)
        // A job named the upload: it no longer counts against its account.
        #expect(backend.blobUploads.pendingBytes(of: TestKeys.account(7).publicKey) == 0)
        let deadline = try #require(try backend.ledger.job(job)).deadlineHeight
        try Self.pass(backend, heights: Int(deadline - (try backend.ledger.height())) + 100)
        #expect(try janitor.sweep(now: Date()).deleted == 0)
        for blob in [code, input, output] { #expect(backend.blobs.contains(blob)) }

        // One epoch (100 heights) past the deadline: gone. The anchor and proof stay.
        try Self.pass(backend, heights: 1)
        #expect(try janitor.sweep(now: Date()).deleted == 3)
        for blob in [code, input, output] { #expect(!backend.blobs.contains(blob)) }
        #expect(try backend.ledger.anchor(jobID: job) != nil)
        #expect(try backend.ledger.resultProof(jobID: job) != nil)
    }

    @Test func aPublishedCodeIsNeverDeleted() throws {
        let backend = try FakeBackend(blobLimits: Self.limits())
        let code = try backend.blobs.put(Array("library code".utf8))
        try backend.submit(try backend.transaction(TestKeys.account(7), .publishCode(name: "lib", codeHash: code)))
        try backend.commitSubmitted()
        try Self.age(backend.blobs, code, seconds: 10_000_000)
        try Self.pass(backend, heights: 300)
        #expect(try Self.janitor(backend).sweep(now: Date()).deleted == 0)
        #expect(backend.blobs.contains(code))
    }

    @Test func aWriteCutShortByACrashIsCleanedUp() throws {
        let backend = try FakeBackend(blobLimits: Self.limits())
        let temp = backend.blobs.root.appendingPathComponent("tmp").appendingPathComponent("half-written")
        try Data("partial".utf8).write(to: temp)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7_200)], ofItemAtPath: temp.path)
        #expect(try Self.janitor(backend).sweep(now: Date()).temporariesRemoved == 1)
        #expect(!FileManager.default.fileExists(atPath: temp.path))
    }

    @Test func theRetentionFloorNeverUnderflows() {
        #expect(BlobJanitor.retentionFloor(height: 50, retentionEpochs: 1, epochLengthHeights: 100) == 0)
        #expect(BlobJanitor.retentionFloor(height: 500, retentionEpochs: 2, epochLengthHeights: 100) == 300)
        #expect(BlobJanitor.retentionFloor(height: 500, retentionEpochs: .max, epochLengthHeights: 100) == 0)
    }
}
