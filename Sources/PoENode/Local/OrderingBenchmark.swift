public import Foundation
import NIOConcurrencyHelpers
import PBFT
import PoECrypto
import PoETransport

/// Figures of one cluster size, measured by `poe bench --ordering-only`.
public struct OrderingBenchmarkResult: Sendable {
    public var nodes: Int
    public var requests: Int
    public var burstSeconds: Double
    public var burstLatencyMs: Percentiles
    public var sequentialLatencyMs: Percentiles
    public var finalView: UInt64
    public var inboxDropped: Int
    public var peerFramesDropped: Int

    public var requestsPerSecond: Double { Double(requests) / burstSeconds }
}

/// Ordering alone, in libhotstuff's model (`OrderingReplica`): `clients` clients each keep
/// `outstandingPerClient` 8-byte requests in flight, sent to every replica, until
/// `requests` are ordered (throughput, and latency under load); then requests one at a
/// time (latency at rest). A request counts as ordered when f+1 replicas delivered it,
/// as libhotstuff's client counts f+1 replies, and its latency runs from its hand-over
/// to the replicas to that delivery.
public struct OrderingBenchmark {
    public var requests = 50_000
    public var clients = 4
    public var outstandingPerClient = 700
    public var sequentialRequests = 100
    /// How long the primary holds a partial batch, in 5 ms ticks, while earlier batches
    /// are in flight (a lone request is proposed at once).
    public var batchDelayTicks: UInt64 = 4

    public init() {}

    public func run(nodes: Int) async throws -> OrderingBenchmarkResult {
        precondition(nodes >= 1 && clients >= 1 && outstandingPerClient >= 1 && requests >= 1)
        let outstanding = clients * outstandingPerClient
        let keys = (0..<nodes).map { PrivateKey.deterministic(seed: "ordering-bench-replica-\($0)") }
        let clientKeys = (0..<clients).map { PrivateKey.deterministic(seed: "ordering-bench-client-\($0)").publicKey }
        let config = Config(
            chainID: Digest.sha256("ordering-bench"), replicas: keys.map(\.publicKey), checkpointInterval: 16,
            windowSize: 64, batchSizeMax: Limits.batchRequestsMax, batchDelayTicks: batchDelayTicks,
            viewChangeTimeoutTicks: 400, retransmitTicks: 200, pendingRequestsMax: outstanding + 64)
        let tracker = DeliveryTracker(
            requests: requests + sequentialRequests, clients: clientKeys, needed: config.quorum.weak, replicas: nodes)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-ordering-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let base = try LoopbackPorts.reserve(nodes)
        let addresses = (0..<nodes).map { PeerAddress(host: "127.0.0.1", port: base + $0) }
        var replicas: [OrderingReplica] = []
        do {
            for index in 0..<nodes {
                var peers: [PublicKey: PeerAddress] = [:]
                for other in 0..<nodes where other != index { peers[keys[other].publicKey] = addresses[other] }
                let replica = try OrderingReplica(
                    index: index, config: config, key: keys[index], peers: peers, listen: addresses[index],
                    logPath: folder.appendingPathComponent("votes-\(index).sqlite").path, tickMilliseconds: 5,
                    delivered: { tracker.record($0) })
                replicas.append(replica)
                try await replica.start()
            }
            try await until(seconds: 30, "replicas to connect") {
                replicas.allSatisfy { $0.network.connectedPeers.count == nodes - 1 }
            }
            let request = { (index: Int) in tracker.request(index) }
            let burst = try await burst(replicas, tracker, request, outstanding: outstanding)
            let sequential = try await sequential(replicas, tracker, request)
            let result = OrderingBenchmarkResult(
                nodes: nodes, requests: requests, burstSeconds: burst.seconds,
                burstLatencyMs: Percentiles(burst.latencies), sequentialLatencyMs: Percentiles(sequential),
                finalView: replicas.map(\.status.view).max() ?? 0,
                inboxDropped: replicas.map(\.inbox.dropped).reduce(0, +),
                peerFramesDropped: replicas.map(\.network.stats.framesDropped).reduce(0, +))
            for replica in replicas { await replica.stop() }
            return result
        } catch {
            for replica in replicas { await replica.stop() }
            throw error
        }
    }

    /// Keeps `outstanding` requests in flight until the first `requests` are ordered. In
    /// flight means not yet delivered by every replica: a replica holds each request until
    /// it executes it, within a bound, and one that lags behind the f+1 that order a
    /// request would otherwise fill its pending list and drop requests for good.
    private func burst(
        _ replicas: [OrderingReplica], _ tracker: DeliveryTracker, _ request: (Int) -> ClientRequest, outstanding: Int
    ) async throws -> (seconds: Double, latencies: [Double]) {
        var submitted = [ContinuousClock.Instant](repeating: .now, count: requests)
        var next = 0
        let start = ContinuousClock.now
        let deadline = start + .seconds(300)
        while tracker.orderedCount < requests {
            guard ContinuousClock.now < deadline else {
                throw BenchmarkError.timedOut("\(requests - tracker.orderedCount) requests never ordered\(stallNote(replicas))")
            }
            while next < requests && next - tracker.deliveredEverywhereCount < outstanding {
                submitted[next] = .now
                try handOver(request(next), to: replicas)
                next += 1
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let ordered = (0..<requests).map { tracker.orderedAt($0)! }
        let latencies = zip(submitted, ordered).map { milliseconds($1 - $0) }
        return (seconds((ordered.max() ?? start) - start), latencies)
    }

    private func sequential(
        _ replicas: [OrderingReplica], _ tracker: DeliveryTracker, _ request: (Int) -> ClientRequest
    ) async throws -> [Double] {
        var latencies: [Double] = []
        for index in requests..<(requests + sequentialRequests) {
            let start = ContinuousClock.now
            try handOver(request(index), to: replicas)
            try await until(seconds: 30, "a request to be ordered\(stallNote(replicas))") { tracker.orderedAt(index) != nil }
            latencies.append(milliseconds(tracker.orderedAt(index)! - start))
        }
        return latencies
    }

    private func handOver(_ request: ClientRequest, to replicas: [OrderingReplica]) throws {
        for replica in replicas where !replica.submit(request) {
            throw BenchmarkError.refused("replica \(replica.index)'s inbox is full")
        }
    }

    private func stallNote(_ replicas: [OrderingReplica]) -> String {
        let stalled = replicas.compactMap(\.status.stalled)
        let refused = replicas.filter { $0.status.pendingFull > 0 }.map { "replica \($0.index) refused \($0.status.pendingFull) with its pending list full" }
        let invalid = replicas.filter { $0.status.invalidMessages > 0 }.map { "replica \($0.index) dropped \($0.status.invalidMessages) invalid messages" }
        let notes = stalled + refused + invalid
        return notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
    }
}

/// Counts the deliveries of each benchmark request across replicas and notes when the
/// f+1-th came. Request `i` is client `i % clients`'s, with timestamp `i / clients + 1`,
/// so each client's requests are in timestamp order, as exactly-once requires.
final class DeliveryTracker: Sendable {
    private struct State {
        var deliveries: [Int]
        var orderedAt: [ContinuousClock.Instant?]
        var ordered = 0
        var deliveredEverywhere = 0
    }

    let clients: [PublicKey]
    let needed: Int
    let replicas: Int
    private let clientIndex: [PublicKey: Int]
    private let state: NIOLockedValueBox<State>

    init(requests: Int, clients: [PublicKey], needed: Int, replicas: Int) {
        precondition(needed >= 1 && needed <= replicas)
        self.clients = clients
        self.needed = needed
        self.replicas = replicas
        clientIndex = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1, $0) })
        state = NIOLockedValueBox(State(deliveries: Array(repeating: 0, count: requests), orderedAt: Array(repeating: nil, count: requests)))
    }

    /// Request `index`: 8 bytes, and no signature (the link authenticates, as in libhotstuff).
    func request(_ index: Int) -> ClientRequest {
        var operation = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(index).littleEndian) { operation.replaceSubrange(0..<8, with: $0) }
        return ClientRequest(
            client: clients[index % clients.count], timestamp: UInt64(index / clients.count + 1), operation: operation,
            signature: DeliveryTracker.noSignature)
    }

    private static let noSignature: Signature = {
        do { return try Signature(bytes: [UInt8](repeating: 0, count: Signature.byteCount)) } catch {
            preconditionFailure("64 zero bytes make a signature value")
        }
    }()

    func record(_ keys: [RequestKey]) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            for key in keys {
                guard let client = clientIndex[key.client] else { continue }
                let index = Int(key.timestamp - 1) * clients.count + client
                guard state.deliveries.indices.contains(index) else { continue }
                state.deliveries[index] += 1
                if state.deliveries[index] == needed {
                    state.orderedAt[index] = now
                    state.ordered += 1
                }
                if state.deliveries[index] == replicas { state.deliveredEverywhere += 1 }
            }
        }
    }

    var orderedCount: Int { state.withLockedValue { $0.ordered } }
    var deliveredEverywhereCount: Int { state.withLockedValue { $0.deliveredEverywhere } }

    func orderedAt(_ index: Int) -> ContinuousClock.Instant? { state.withLockedValue { $0.orderedAt[index] } }
}
