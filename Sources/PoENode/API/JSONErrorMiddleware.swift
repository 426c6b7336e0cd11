import Hummingbird

/// Gives every refusal the API's `{"error"}` shape, including those Hummingbird raises
/// itself (no such route, method not allowed) and unexpected errors (500).
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            // The path is not repeated: a client controls it, and it may be long.
            let message = error.body ?? "\(error.status.reasonPhrase): no such route for \(request.method)"
            throw APIError(error.status, message)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, "\(error.status.reasonPhrase)")
        } catch {
            throw APIError.internalError("\(error)")
        }
    }
}
