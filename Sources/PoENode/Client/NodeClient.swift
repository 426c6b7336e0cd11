public import PoENodeCore
public import AsyncHTTPClient
import Foundation
import NIOCore
public import PoECrypto
public import PoELedger
import PoEWire

/// A typed client of one node's HTTP API. Uses one shared `HTTPClient` (by default
/// `HTTPClient.shared`, which needs no shutdown); every call has a deadline.
public struct NodeClient: Sendable {
    /// Largest JSON answer read; the API's answers are far smaller.
    public static let jsonBytesMax = 8 << 20
    /// Largest binary answer read (blobs, outputs, proofs): the blob store's own bound.
    public static let binaryBytesMax = 64 << 20

    /// The node's base URL without a trailing slash, e.g. `http://127.0.0.1:26700`.
    public let baseURL: String
    public let timeoutSeconds: Int64
    private let http: HTTPClient

    public init(baseURL: String, timeoutSeconds: Int64 = 30, httpClient: HTTPClient = .shared) throws(NodeClientError) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed), let scheme = url.scheme, scheme == "http" || scheme == "https",
            url.host != nil
        else { throw .invalidURL(baseURL) }
        precondition(timeoutSeconds > 0, "timeoutSeconds must be positive")
        self.baseURL = trimmed
        self.timeoutSeconds = timeoutSeconds
        self.http = httpClient
    }

    // MARK: routes

    public func health() async throws(NodeClientError) -> Bool {
        let bytes = try await call(.GET, "/health", bytesMax: 64)
        return String(decoding: bytes, as: UTF8.self) == "ok"
    }

    public func status() async throws(NodeClientError) -> NodeStatus { try await json(.GET, "/status") }

    public func chain() async throws(NodeClientError) -> ChainResponse { try await json(.GET, "/chain") }

    /// Uploads `bytes`, signed by `account` (the node charges it to that account's quota
    /// until a job names the blob).
    public func uploadBlob(_ bytes: [UInt8], signedBy account: PrivateKey) async throws(NodeClientError) -> Digest {
        let expected = Digest.sha256(bytes)
        let signature = account.sign(expected.bytes, domain: .blobUpload)
        let response: BlobUploadResponse = try await json(
            .POST, "/blobs", body: bytes,
            headers: [("PoE-Account", account.publicKey.hex), ("PoE-Signature", signature.hex)])
        guard response.hash == expected.hex else {
            throw .badResponse(url: baseURL + "/blobs", reason: "stored as \(response.hash), expected \(expected.hex)")
        }
        return expected
    }

    public func blob(_ hash: Digest) async throws(NodeClientError) -> [UInt8] {
        try await call(.GET, "/blobs/\(hash.hex)", bytesMax: NodeClient.binaryBytesMax)
    }

    /// Sends the transaction; returns its ID as the node computed it.
    public func submit(_ transaction: SignedTransaction) async throws(NodeClientError) -> Digest {
        let response: SubmitResponse = try await json(.POST, "/transactions", body: transaction.wireBytes)
        guard let id = Digest(hex: response.id), id == transaction.id else {
            throw .badResponse(url: baseURL + "/transactions", reason: "transaction ID \(response.id) is not \(transaction.id.hex)")
        }
        return id
    }

    public func transactionStatus(_ id: Digest) async throws(NodeClientError) -> TransactionStatusResponse {
        try await json(.GET, "/transactions/\(id.hex)")
    }

    public func job(_ id: Digest) async throws(NodeClientError) -> JobResponse { try await json(.GET, "/jobs/\(id.hex)") }

    /// The most recent jobs, of one submitter and one status when given.
    public func jobs(submitter: PublicKey?, status: String?, limit: Int) async throws(NodeClientError) -> JobsResponse {
        var query = ["limit=\(limit)"]
        if let submitter { query.append("submitter=\(submitter.hex)") }
        if let status { query.append("status=\(status)") }
        return try await json(.GET, "/jobs?" + query.joined(separator: "&"))
    }

    /// The canonical bytes of the job's `ResultProof` (404 until finalized).
    public func proofBytes(_ id: Digest) async throws(NodeClientError) -> [UInt8] {
        try await call(.GET, "/jobs/\(id.hex)/proof", bytesMax: NodeClient.binaryBytesMax)
    }

    public func output(_ id: Digest) async throws(NodeClientError) -> [UInt8] {
        try await call(.GET, "/jobs/\(id.hex)/output", bytesMax: NodeClient.binaryBytesMax)
    }

    public func account(_ key: PublicKey) async throws(NodeClientError) -> AccountResponse {
        try await json(.GET, "/accounts/\(key.hex)")
    }

    public func validators() async throws(NodeClientError) -> ValidatorsResponse { try await json(.GET, "/validators") }

    // MARK: plumbing

    private enum Method { case GET, POST }

    private func json<T: Decodable>(
        _ method: Method, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws(NodeClientError) -> T {
        let bytes = try await call(method, path, body: body, headers: headers, bytesMax: NodeClient.jsonBytesMax)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .badResponse(url: baseURL + path, reason: "cannot decode \(T.self): \(error)")
        }
    }

    /// One request; a non-2xx answer becomes `.http` with the server's error text.
    private func call(
        _ method: Method, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = [], bytesMax: Int
    ) async throws(NodeClientError) -> [UInt8] {
        let url = baseURL + path
        var request = HTTPClientRequest(url: url)
        switch method {
        case .GET: request.method = .GET
        case .POST: request.method = .POST
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(timeoutSeconds))
        } catch {
            throw .unreachable(url: baseURL, reason: NodeClient.describe(error))
        }
        let bytes: [UInt8]
        do {
            var buffer = try await response.body.collect(upTo: bytesMax)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw .badResponse(url: url, reason: "answer larger than \(bytesMax) bytes")
        } catch {
            throw .unreachable(url: baseURL, reason: "reading the answer failed: \(NodeClient.describe(error))")
        }
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONDecoder().decode(APIErrorBody.self, from: Data(bytes)))?.error
                ?? String(decoding: bytes.prefix(512), as: UTF8.self)
            throw .http(status: Int(response.status.code), message: message.isEmpty ? response.status.reasonPhrase : message, url: url)
        }
        return bytes
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("deadlineExceeded") || text.contains("Timeout") { return "timed out" }
        // The client sees this when the node closes on accept a connection from an address
        // at its quota (APILimits.connectionsPerAddressMax), closes a request that missed its
        // deadline (APILimits.requestBaseSeconds), or stops mid-request.
        if text.contains("I/O on closed channel") || text.contains("remoteConnectionClosed") {
            return "the node closed the connection without answering: it does so when this address holds "
                + "\(APILimits.connectionsPerAddressMax) connections already, when a request does not arrive "
                + "whole by its deadline, or when the node stops"
        }
        return text
    }
}
