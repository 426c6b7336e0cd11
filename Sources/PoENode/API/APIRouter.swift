public import Hummingbird
import HummingbirdCore
import NIOCore
public import Logging

/// Bounds on what a client may send.
public enum APILimits {
    /// Largest uploaded blob (job code or input).
    public static let blobBytesMax = 2 << 20
    /// Largest transaction body: a signed transaction is at most ~64 KiB, with room.
    public static let transactionBytesMax = 128 << 10
    /// A connection with no request in progress for this long is closed, so idle or
    /// half-open connections do not pile up.
    public static let idleSeconds: Int64 = 30
    /// Time a request has, from its head, to arrive whole: this plus its body at
    /// `bodyBytesPerSecondMin` (a 2 MiB blob: 42 s). Past it the connection is closed, so
    /// a body trickled a byte at a time, which the idle timeout never ends, cannot hold
    /// a connection for ever.
    public static let requestBaseSeconds: Int64 = 10
    /// The slowest body upload a request is given time for.
    public static let bodyBytesPerSecondMin = 64 << 10
    /// Connections open at once. Past it the server stops accepting: new ones wait in
    /// the kernel's listen queue (256) until one closes, and past that are refused.
    public static let connectionsMax = 512
    /// Connections one remote address may hold at once; past it, a new one is closed on
    /// accept, so one client cannot take every slot of `connectionsMax`.
    public static let connectionsPerAddressMax = 64
}

/// The node's HTTP API over `backend`. Every refusal is JSON `{"error": "..."}`.
public func makeAPIRouter<Backend: NodeBackend>(backend: Backend) -> Router<BasicRequestContext> {
    let handlers = APIHandlers(backend: backend)
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: APIRequestMetricsMiddleware(metrics: backend.requestMetrics))
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: RequestBoundsMiddleware())
    router.get("/") { _, _ in StatusPage.response() }
    router.get("/health") { _, _ in "ok" }
    router.get("/status") { _, _ in JSONBody.response(backend.status) }
    router.get("/chain") { _, _ in
        let genesis = backend.ledger.genesis
        return JSONBody.response(
            ChainResponse(chainID: genesis.chainID, genesisDigest: genesis.digest.hex, parameters: genesis.parameters))
    }
    router.get("/metrics") { _, _ in
        JSONBody.bytes(Array(backend.metricsText().utf8), contentType: "text/plain; version=0.0.4")
    }
    router.post("/blobs") { request, _ in try await handlers.uploadBlob(request) }
    router.get("/blobs/:hash") { _, context in try handlers.blob(context) }
    router.post("/transactions") { request, _ in try await handlers.submit(request) }
    router.get("/transactions/:id") { _, context in try handlers.transaction(context) }
    router.get("/jobs") { request, _ in try handlers.jobs(request) }
    router.get("/jobs/:id") { _, context in try handlers.job(context) }
    router.get("/jobs/:id/proof") { _, context in try handlers.proof(context) }
    router.get("/jobs/:id/output") { _, context in try handlers.output(context) }
    router.get("/accounts/:key") { _, context in try handlers.account(context) }
    router.get("/validators") { _, _ in try handlers.validators() }
    router.get("/evidence") { request, _ in try handlers.evidence(request) }
    router.get("/peers") { _, _ in JSONBody.response(PeersResponse(peers: backend.peers)) }
    router.get("/activity") { request, _ in try handlers.activity(request) }
    return router
}

/// The API as an application the node runs under ServiceLifecycle. Port 0 picks a free port.
public func makeAPIApplication<Backend: NodeBackend>(
    backend: Backend, host: String, port: Int, logger: Logger = Logger(label: "poe.api"),
    idleSeconds: Int64 = APILimits.idleSeconds, connectionsMax: Int = APILimits.connectionsMax,
    connectionsPerAddressMax: Int = APILimits.connectionsPerAddressMax,
    requestBaseSeconds: Int64 = APILimits.requestBaseSeconds
) -> some ApplicationProtocol {
    precondition(idleSeconds > 0, "the idle timeout must be positive")
    let addressLimit = APIAddressLimit(perAddressMax: connectionsPerAddressMax, metrics: backend.requestMetrics)
    let requestDeadline = APIRequestDeadline(baseSeconds: requestBaseSeconds, metrics: backend.requestMetrics)
    return Application(
        router: makeAPIRouter(backend: backend),
        server: .http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [addressLimit.handler(), requestDeadline.handler()], idleTimeout: TimeAmount.seconds(idleSeconds))),
        configuration: ApplicationConfiguration(
            address: .hostname(host, port: port), serverName: "poe-node",
            availableConnectionsDelegate: APIConnectionLimit(max: connectionsMax, metrics: backend.requestMetrics)),
        logger: logger)
}

/// The route bodies; one value per router, holding the backend.
struct APIHandlers<Backend: NodeBackend>: Sendable {
    let backend: Backend

    /// Runs a ledger or blob-store read; a storage failure is a 500 with its text.
    func read<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internalError("reading \(what) failed: \(error)")
        }
    }
}
