import Hummingbird
import PoECrypto
import PoEExecutor

extension APIHandlers {
    /// `POST /blobs`: raw bytes in, `{"hash": hex}` out.
    func uploadBlob(_ request: Request) async throws -> Response {
        let bytes = try await APIRequestParsing.body(request, bytesMax: APILimits.blobBytesMax, what: "blob")
        let digest: Digest
        do {
            digest = try backend.blobs.put(bytes)
        } catch {
            throw APIError.internalError("storing the blob failed: \(error)")
        }
        return JSONBody.response(BlobUploadResponse(hash: digest.hex))
    }

    /// `GET /blobs/{hash}`: the raw bytes, 404 if this node does not hold them.
    func blob(_ context: some RequestContext) throws -> Response {
        let digest = try APIRequestParsing.digest(context, "hash", what: "blob hash")
        return JSONBody.bytes(try blobBytes(digest))
    }

    func blobBytes(_ digest: Digest) throws -> [UInt8] {
        do {
            return try backend.blobs.get(digest)
        } catch .notFound {
            throw APIError.notFound("this node has no blob \(digest.hex)")
        } catch {
            throw APIError.internalError(error.description)
        }
    }
}
