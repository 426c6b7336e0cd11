import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoENode
import Testing

/// The headers of an upload of `bytes` signed by `key`.
func uploadHeaders(_ bytes: [UInt8], by key: PrivateKey) -> HTTPFields {
    let signature = key.sign(Digest.sha256(bytes).bytes, domain: .blobUpload)
    return [.init("PoE-Account")!: key.publicKey.hex, .init("PoE-Signature")!: signature.hex]
}

@Suite struct BlobRouteTests {
    /// Limits small enough to reach in a test (not ones `config.json` accepts).
    static func smallLimits(store: Int = 1 << 20, account: Int = 8_192) -> BlobLimits {
        var limits = BlobLimits()
        limits.storeBytesMax = store
        limits.accountBytesMax = account
        return limits
    }

    @Test func aSignedUploadByAFundedAccountIsStoredAndServed() async throws {
        let backend = try FakeBackend()
        let bytes = Array("(module)".utf8)
        try await testApp(backend).test(.router) { client in
            let upload = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(bytes, by: TestKeys.account(7)), body: ByteBuffer(bytes))
            #expect(upload.status == .ok)
            #expect(try upload.decode(BlobUploadResponse.self).hash == Digest.sha256(bytes).hex)
            #expect(backend.blobs.contains(Digest.sha256(bytes)))
            // Charged to the account, at least a block, until a job names it.
            #expect(backend.blobUploads.pendingBytes(of: TestKeys.account(7).publicKey) == BlobLimits.chargeBytesMin)

            let download = try await client.execute(uri: "/blobs/\(Digest.sha256(bytes).hex)", method: .get)
            #expect(download.status == .ok)
            #expect(download.bytes == bytes)
        }
    }

    @Test func anUnsignedOrMissignedUploadIsRefusedAndNotStored() async throws {
        let backend = try FakeBackend()
        let bytes = Array("payload".utf8)
        try await testApp(backend).test(.router) { client in
            let unsigned = try await client.execute(uri: "/blobs", method: .post, body: ByteBuffer(bytes))
            #expect(unsigned.status == .unauthorized)
            #expect(unsigned.errorText?.contains("PoE-Account") == true)

            // Signed over other bytes: the signature does not cover this blob.
            let other = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(Array("other".utf8), by: TestKeys.account(7)),
                body: ByteBuffer(bytes))
            #expect(other.status == .unauthorized)
            #expect(other.errorText?.contains("does not verify") == true)

            var badKey = uploadHeaders(bytes, by: TestKeys.account(7))
            badKey[.init("PoE-Account")!] = "xyz"
            let malformed = try await client.execute(uri: "/blobs", method: .post, headers: badKey, body: ByteBuffer(bytes))
            #expect(malformed.status == .badRequest)
            #expect(!backend.blobs.contains(Digest.sha256(bytes)))
        }
    }

    @Test func anAccountWithoutTokensCannotUpload() async throws {
        let backend = try FakeBackend()
        let stranger = PrivateKey.deterministic(seed: "blob-test/stranger")
        let bytes = Array("free ride".utf8)
        try await testApp(backend).test(.router) { client in
            let refused = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(bytes, by: stranger), body: ByteBuffer(bytes))
            #expect(refused.status == .forbidden)
            #expect(refused.errorText?.contains("holds 0 tokens") == true)
            #expect(!backend.blobs.contains(Digest.sha256(bytes)))
        }
    }

    @Test func anAccountPastItsQuotaGets429AndOthersCanStillUpload() async throws {
        let backend = try FakeBackend(blobLimits: Self.smallLimits(account: 8_192))
        let heavy = TestKeys.account(6)
        try await testApp(backend).test(.router) { client in
            for index in 0..<2 {
                let bytes = Array("blob \(index)".utf8)
                let upload = try await client.execute(
                    uri: "/blobs", method: .post, headers: uploadHeaders(bytes, by: heavy), body: ByteBuffer(bytes))
                #expect(upload.status == .ok)
            }
            let third = Array("blob 2".utf8)
            let refused = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(third, by: heavy), body: ByteBuffer(third))
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorText?.contains("quota 8192") == true)
            #expect(!backend.blobs.contains(Digest.sha256(third)))

            // A blob already held costs nothing, even past the quota.
            let again = Array("blob 0".utf8)
            let repeated = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(again, by: heavy), body: ByteBuffer(again))
            #expect(repeated.status == .ok)

            let other = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(third, by: TestKeys.account(5)), body: ByteBuffer(third))
            #expect(other.status == .ok)
        }
    }

    @Test func aFullStoreAnswers507() async throws {
        let backend = try FakeBackend(blobLimits: Self.smallLimits(store: 3 * BlobLimits.chargeBytesMin, account: 1 << 20))
        try await testApp(backend).test(.router) { client in
            for index in 0..<3 {
                let bytes = Array("fill \(index)".utf8)
                let upload = try await client.execute(
                    uri: "/blobs", method: .post, headers: uploadHeaders(bytes, by: TestKeys.account(index)),
                    body: ByteBuffer(bytes))
                #expect(upload.status == .ok)
            }
            let last = Array("one too many".utf8)
            let refused = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(last, by: TestKeys.account(4)), body: ByteBuffer(last))
            #expect(refused.status.code == 507)
            #expect(refused.errorText?.contains("blob store is full") == true)
            #expect(backend.blobUploads.usage.refusedTotal == 1)
        }
    }

    @Test func unknownBadHexAndOversized() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let unknown = try await client.execute(uri: "/blobs/\(Digest.sha256("nothing").hex)", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorText?.contains("no blob") == true)

            let badHex = try await client.execute(uri: "/blobs/xyz", method: .get)
            #expect(badHex.status == .badRequest)
            #expect(badHex.errorText?.contains("64 hex digits") == true)

            let big = [UInt8](repeating: 7, count: APILimits.blobBytesMax + 1)
            let oversized = try await client.execute(
                uri: "/blobs", method: .post, headers: uploadHeaders(big, by: TestKeys.account(7)), body: ByteBuffer(big))
            #expect(oversized.status == .contentTooLarge)
            #expect(oversized.errorText?.contains("larger than") == true)
            #expect(!backend.blobs.contains(Digest.sha256(big)))
        }
    }
}
