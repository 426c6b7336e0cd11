import Foundation
public import Hummingbird

/// A refusal with a status and a sentence, answered as `{"error": "..."}`.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONBody.response(APIErrorBody(error: message), status: status)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
    static func internalError(_ message: String) -> APIError { APIError(.internalServerError, message) }
}

/// Encodes API bodies: sorted keys, so answers are stable byte for byte.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding our own plain structs cannot fail; answer 500 rather than trap if it does.
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"response encoding failed"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func bytes(_ bytes: [UInt8], contentType: String = "application/octet-stream") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
