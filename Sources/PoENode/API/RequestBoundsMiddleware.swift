import Hummingbird

/// Refuses a request whose target or headers are longer than any route needs, before
/// routing, with the status that names the problem and a reason that never repeats the
/// input (an 8,000-character path is not echoed back). Requests beyond the HTTP
/// parser's own limit (80 KiB of head) are closed by the server with a bare 400.
struct RequestBoundsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The longest target a route takes is a 64-hex-digit ID and a short query.
    static var targetBytesMax: Int { 2_048 }
    static var headerBytesMax: Int { 16_384 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let target = request.uri.string.utf8.count
        guard target <= Self.targetBytesMax else {
            throw APIError(.uriTooLong, "the request target is \(target) bytes, over the \(Self.targetBytesMax)-byte bound")
        }
        let headers = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        guard headers <= Self.headerBytesMax else {
            throw APIError(
                .requestHeaderFieldsTooLarge, "the request headers are \(headers) bytes, over the \(Self.headerBytesMax)-byte bound")
        }
        return try await next(request, context)
    }
}
