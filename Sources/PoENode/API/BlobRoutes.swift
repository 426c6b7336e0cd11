import HTTPTypes
import Hummingbird
import PoECrypto
import PoEExecutor

/// The headers that sign an upload: the account's public key, and its BIP-340 signature
/// over the blob's SHA-256 in the `poe/v1/blob-upload` domain.
enum BlobUploadHeaders {
    static let account = HTTPField.Name("PoE-Account")!
    static let signature = HTTPField.Name("PoE-Signature")!

    static func read(_ request: Request) throws -> (account: PublicKey, signature: Signature) {
        guard let accountText = request.headers[account], let signatureText = request.headers[signature] else {
            throw APIError(
                .unauthorized,
                "an upload is signed by an account: send PoE-Account (its public key, 64 hex digits) and "
                    + "PoE-Signature (BIP-340 over the blob's SHA-256, domain poe/v1/blob-upload); `poe submit` does this")
        }
        let key: PublicKey
        let signature: Signature
        do { key = try PublicKey(hex: accountText) } catch {
            throw APIError.badRequest("PoE-Account must be a 64-hex-digit public key: \(error)")
        }
        do { signature = try Signature(hex: signatureText) } catch {
            throw APIError.badRequest("PoE-Signature must be a 128-hex-digit signature: \(error)")
        }
        return (key, signature)
    }
}

extension APIHandlers {
    /// `POST /blobs`: raw bytes in, signed by an account (`BlobUploadHeaders`);
    /// `{"hash": hex}` out. A blob the node holds already costs nothing.
    func uploadBlob(_ request: Request) async throws -> Response {
        let signer = try BlobUploadHeaders.read(request)
        let bytes = try await APIRequestParsing.body(request, bytesMax: APILimits.blobBytesMax, what: "blob")
        let digest = Digest.sha256(bytes)
        guard signer.account.verify(signer.signature, for: digest.bytes, domain: .blobUpload) else {
            throw APIError(
                .unauthorized, "PoE-Signature does not verify for account \(signer.account.short) over this blob's SHA-256")
        }
        if backend.blobs.contains(digest) {
            backend.blobs.refresh(digest)
            return JSONBody.response(BlobUploadResponse(hash: digest.hex))
        }
        let minimum = backend.blobUploads.limits.uploadBalanceMin
        let balance: UInt64
        do {
            balance = try backend.ledger.account(signer.account)?.balance ?? 0
        } catch {
            throw APIError.internalError("reading account \(signer.account.short) failed: \(error)")
        }
        guard balance >= minimum else {
            throw APIError(
                .forbidden,
                "account \(signer.account.short) holds \(balance) tokens on this chain; an upload needs at least \(minimum)")
        }
        do {
            try backend.blobUploads.admit(digest, byteCount: bytes.count, owner: signer.account)
        } catch let refusal {
            switch refusal {
            case .storeFull: throw APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), refusal.description)
            case .accountQuota, .tooManyPending: throw APIError(.tooManyRequests, refusal.description)
            }
        }
        do {
            try backend.blobs.put(bytes)
        } catch {
            backend.blobUploads.cancel(digest)
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
