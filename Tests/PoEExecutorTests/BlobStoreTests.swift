import Foundation
import PoECrypto
import Testing

@testable import PoEExecutor

@Suite struct BlobStoreTests {
    @Test func putThenGetReturnsTheSameBytesUnderTheirHash() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        let bytes: [UInt8] = Array("hello blobs".utf8)
        let digest = try store.put(bytes)
        #expect(digest == Digest.sha256(bytes))
        #expect(store.contains(digest))
        #expect(try store.get(digest) == bytes)
        #expect(try store.put(bytes) == digest)  // idempotent
    }

    @Test func blobsAreReadableOnlyByTheirOwner() throws {
        let root = JobFixtures.temporaryDirectory().appendingPathComponent("blobs")
        let store = try BlobStore(root: root)
        let digest = try store.put(Array("job input".utf8))
        func permissions(_ url: URL) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
        }
        #expect(try permissions(root) == 0o700)
        #expect(try permissions(store.path(of: digest).deletingLastPathComponent()) == 0o700)
        #expect(try permissions(store.path(of: digest)) == 0o600)
    }

    @Test func emptyBlobIsStorable() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        let digest = try store.put([])
        #expect(try store.get(digest) == [])
    }

    @Test func missingBlobIsNotFound() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        #expect(throws: BlobStoreError.notFound(.sha256("absent"))) { try store.get(.sha256("absent")) }
    }

    @Test func corruptedBlobIsRefusedOnRead() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        let bytes: [UInt8] = Array("the real bytes".utf8)
        let digest = try store.put(bytes)
        var damaged = bytes
        damaged[0] ^= 0x01
        try Data(damaged).write(to: store.path(of: digest))
        #expect(throws: BlobStoreError.corrupted(expected: digest, actual: .sha256(damaged))) {
            try store.get(digest)
        }
        try store.remove(digest)
        #expect(!store.contains(digest))
    }

    @Test func oversizedBlobsAreRefusedBothWays() throws {
        let root = JobFixtures.temporaryDirectory()
        let small = try BlobStore(root: root, blobBytesMax: 8)
        #expect(throws: BlobStoreError.tooLarge(byteCount: 9, max: 8)) { try small.put([UInt8](repeating: 1, count: 9)) }
        // A blob written under a larger bound is refused before it is read under a smaller one.
        let large = try BlobStore(root: root, blobBytesMax: 64)
        let digest = try large.put([UInt8](repeating: 2, count: 32))
        #expect(throws: BlobStoreError.tooLarge(byteCount: 32, max: 8)) { try small.get(digest) }
    }

    @Test func writesLeaveNoTemporaryFiles() throws {
        let store = try BlobStore(root: JobFixtures.temporaryDirectory())
        for index in 0..<10 { try store.put([UInt8(index)]) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.root.appendingPathComponent("tmp").path)
        #expect(leftovers.isEmpty)
    }
}
