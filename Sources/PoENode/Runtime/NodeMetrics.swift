import NIOConcurrencyHelpers
import PBFT
import PoEExecutor
import PoELedger
import PoENodeCore
import Prometheus

/// The node's Prometheus metrics. One registry per node (no global metrics system), so
/// that several nodes can live in one test process.
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let height: Gauge
    private let view: Gauge
    private let peers: Gauge
    private let viewChanges: Counter
    private let lastView = NIOLockedValueBox<UInt64>(0)
    private let committedRequests: Counter
    private let rejectedRequests: Counter
    private let conflictingPrePrepares: Gauge
    private let commitLatency: DurationHistogram
    /// When requests submitted through this node's API arrived, for the latency histogram.
    private let arrivals = NIOLockedValueBox<[RequestKey: ContinuousClock.Instant]>([:])
    static let arrivalsMax = 100_000

    init() {
        height = registry.makeGauge(name: "poe_height", help: "Ledger height: the last sequence applied")
        view = registry.makeGauge(name: "poe_view", help: "Current PBFT view")
        peers = registry.makeGauge(name: "poe_peers_connected", help: "Authenticated peer links")
        viewChanges = registry.makeCounter(name: "poe_view_changes_total", help: "Views this node moved past")
        committedRequests = registry.makeCounter(
            name: "poe_committed_transactions_total", help: "Transactions committed and applied")
        rejectedRequests = registry.makeCounter(
            name: "poe_rejected_transactions_total", help: "Committed transactions the ledger recorded as failed")
        conflictingPrePrepares = registry.makeGauge(
            name: "poe_conflicting_preprepares", help: "Pre-prepares refused for conflicting with an accepted one")
        commitLatency = registry.makeDurationHistogram(
            name: "poe_commit_latency_seconds",
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)],
            help: "From a client's transaction reaching this node to its commit")
    }

    func update(status: NodeStatus, counters: Replica.Counters) {
        height.set(Double(status.height))
        view.set(Double(status.view))
        let passed = lastView.withLockedValue { last -> UInt64 in
            defer { last = max(last, status.view) }
            return status.view > last ? status.view - last : 0
        }
        if passed > 0 { viewChanges.increment(by: Int64(passed)) }
        peers.set(Double(status.peersConnected))
        conflictingPrePrepares.set(Double(counters.conflictingPrePrepares))
    }

    func noteArrival(_ key: RequestKey) {
        let now = ContinuousClock.now
        arrivals.withLockedValue { arrivals in
            // Requests that never commit would otherwise stay: start over past the bound.
            if arrivals.count >= NodeMetrics.arrivalsMax { arrivals.removeAll() }
            arrivals[key] = now
        }
    }

    func recordBatch(receipt: BatchReceipt, requests: [ClientRequest]) {
        for result in receipt.results {
            if result.rejection == nil { committedRequests.increment() } else { rejectedRequests.increment() }
        }
        let now = ContinuousClock.now
        let waited = arrivals.withLockedValue { arrivals in requests.compactMap { arrivals.removeValue(forKey: $0.key) } }
        for arrival in waited { commitLatency.record(now - arrival) }
    }

    func recordJob(outcome: Outcome) {
        registry.makeCounter(
            name: "poe_job_outcomes_total", labels: [("outcome", NodeMetrics.label(outcome))],
            help: "Jobs this node ran, by outcome"
        ).increment()
    }

    func recordSlashes(_ count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(name: "poe_slashes_total", help: "Validators slashed at settlement").increment(by: Int64(count))
    }

    func text() -> String { registry.emitToString() }

    private static func label(_ outcome: Outcome) -> String {
        switch outcome {
        case .success: return "success"
        case .trap: return "trap"
        case .outOfFuel: return "out_of_fuel"
        case .outOfMemory: return "out_of_memory"
        case .invalidModule: return "invalid_module"
        case .hashMismatch: return "hash_mismatch"
        case .outputTooLarge: return "output_too_large"
        }
    }
}
