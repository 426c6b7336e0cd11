public import Hummingbird
import NIOConcurrencyHelpers
public import Prometheus

/// The API's request counts and durations, by route, in the node's own registry
/// (Hummingbird's `MetricsMiddleware` records into the global swift-metrics system,
/// which a process of several nodes cannot share). Label values are bounded: a route is
/// the template a request matched (`/jobs/{id}`, never the path a client sent), or
/// `unmatched`; a method outside `methods` is `other`; a status is its class (`2xx`).
public final class APIRequestMetrics: Sendable {
    /// The routes the API serves, so that each one's series exist from the start.
    static let routes: [(method: String, path: String)] = [
        ("GET", "/"), ("GET", "/health"), ("GET", "/status"), ("GET", "/chain"), ("GET", "/metrics"),
        ("POST", "/blobs"), ("GET", "/blobs/{hash}"), ("POST", "/transactions"), ("GET", "/transactions/{id}"),
        ("GET", "/jobs"), ("GET", "/jobs/{id}"), ("GET", "/jobs/{id}/proof"), ("GET", "/jobs/{id}/output"),
        ("GET", "/accounts/{key}"), ("GET", "/validators"), ("GET", "/evidence"), ("GET", "/peers"), ("GET", "/activity"),
    ]
    static let methods: Set<String> = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]
    static let statusClasses = ["2xx", "3xx", "4xx", "5xx"]
    static let unmatched = "unmatched"

    private let registry: PrometheusCollectorRegistry
    private struct Series: Hashable {
        var method: String
        var route: String
        var status: String
    }
    private let counters = NIOLockedValueBox<[Series: Counter]>([:])
    private let durations = NIOLockedValueBox<[String: DurationHistogram]>([:])
    private let connections = NIOLockedValueBox(0)
    private let connectionsGauge: Gauge
    private let refusedConnections: Counter
    private let refusedCount = NIOLockedValueBox(0)
    private let timedOutRequests: Counter
    private let timedOutCount = NIOLockedValueBox(0)

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        connectionsGauge = registry.makeGauge(
            name: "poe_http_connections_open", help: "API connections open now (at most APILimits.connectionsMax)")
        refusedConnections = registry.makeCounter(
            name: "poe_http_connections_refused_total",
            help: "API connections closed on accept: their address held APILimits.connectionsPerAddressMax already")
        timedOutRequests = registry.makeCounter(
            name: "poe_http_requests_timed_out_total",
            help: "API connections closed because a request had not arrived whole by its deadline (APILimits.requestBaseSeconds)")
        for (method, path) in APIRequestMetrics.routes {
            for status in APIRequestMetrics.statusClasses { _ = counter(Series(method: method, route: path, status: status)) }
            _ = histogram(path)
        }
        for status in APIRequestMetrics.statusClasses {
            _ = counter(Series(method: "GET", route: APIRequestMetrics.unmatched, status: status))
        }
        _ = histogram(APIRequestMetrics.unmatched)
    }

    /// API connections open now.
    public var connectionsOpen: Int { connections.withLockedValue { $0 } }

    func connectionOpened() { connectionsGauge.set(Double(connections.withLockedValue { $0 += 1; return $0 })) }

    /// API connections closed on accept for their address's quota, since start.
    public var connectionsRefused: Int { refusedCount.withLockedValue { $0 } }

    func connectionRefused() {
        refusedCount.withLockedValue { $0 += 1 }
        refusedConnections.increment()
    }

    /// API connections closed for a request that had not arrived whole by its deadline, since start.
    public var requestsTimedOut: Int { timedOutCount.withLockedValue { $0 } }

    func requestTimedOut() {
        timedOutCount.withLockedValue { $0 += 1 }
        timedOutRequests.increment()
    }

    func connectionClosed() {
        connectionsGauge.set(Double(connections.withLockedValue {
            precondition($0 > 0, "a connection closed that was never opened")
            $0 -= 1
            return $0
        }))
    }

    /// Counts one answered request.
    func record(method: HTTPRequest.Method, route: String?, status: HTTPResponse.Status, duration: Duration) {
        // Hummingbird names a request no route matched "NotFound" (or nothing).
        let route = route.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? APIRequestMetrics.unmatched
        let methodLabel = APIRequestMetrics.methods.contains(method.rawValue) ? method.rawValue : "other"
        counter(Series(method: methodLabel, route: route, status: "\(status.code / 100)xx")).increment()
        histogram(route).record(duration)
    }

    private func counter(_ series: Series) -> Counter {
        counters.withLockedValue { counters in
            if let counter = counters[series] { return counter }
            let counter = registry.makeCounter(
                name: "poe_http_requests_total",
                labels: [("method", series.method), ("route", series.route), ("status", series.status)],
                help: "API requests answered, by method, route and status class")
            counters[series] = counter
            return counter
        }
    }

    private func histogram(_ route: String) -> DurationHistogram {
        durations.withLockedValue { durations in
            if let histogram = durations[route] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "poe_http_request_duration_seconds", labels: [("route", route)],
                buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
                          .milliseconds(500), .seconds(1), .seconds(5)],
                help: "Time to answer an API request, by route")
            durations[route] = histogram
            return histogram
        }
    }
}

/// Records every request into `APIRequestMetrics`, refusals included: it is the
/// outermost middleware, so it sees the final status of errors the others turn into
/// answers.
struct APIRequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIRequestMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.record(
                method: request.method, route: context.endpointPath, status: response.status,
                duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.record(method: request.method, route: context.endpointPath, status: status, duration: ContinuousClock.now - started)
            throw error
        }
    }
}
