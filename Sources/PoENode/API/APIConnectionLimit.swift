import HummingbirdCore

/// Caps the API's open connections: past `max` the server stops accepting, so a flood
/// of connections waits in the kernel's listen queue instead of taking the node's
/// memory and file descriptors (with the idle timeout, each held connection is freed
/// within `APILimits.idleSeconds`). The count lives in `APIRequestMetrics`, shared by
/// every copy of this value, and is exported as `poe_http_connections_open`.
///
/// The server accepts up to a few connections per wake-up before it asks again, so
/// the count may pass `max` by that many (NIO's `maxMessagesPerRead`); it stays bounded.
struct APIConnectionLimit: AvailableConnectionsDelegate {
    let max: Int
    let metrics: APIRequestMetrics

    init(max: Int, metrics: APIRequestMetrics) {
        precondition(max > 0, "the API must accept a connection")
        self.max = max
        self.metrics = metrics
    }

    mutating func connectionOpened() { metrics.connectionOpened() }
    mutating func connectionClosed() { metrics.connectionClosed() }
    func isAcceptingNewConnections() -> Bool { metrics.connectionsOpen < max }
}
