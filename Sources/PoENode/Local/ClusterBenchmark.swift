public import Foundation
import PoECrypto
import PoELedger

/// Figures of one cluster size, measured by `poe bench`.
public struct ClusterBenchmarkResult: Sendable {
    public var nodes: Int
    public var transactions: Int
    public var burstSeconds: Double
    public var burstLatencyMs: Percentiles
    public var sequentialLatencyMs: Percentiles
    public var jobFinalizationMs: Percentiles
    public var verifyMicroseconds: Double
    /// The highest view reached during the run: each one is a view change that cost
    /// a timeout.
    public var finalView: UInt64
    /// Inputs dropped by full node inboxes and frames by full peer queues, summed over
    /// the nodes: losses that retransmission had to repair.
    public var inboxDropped: Int
    public var peerFramesDropped: Int

    public var transactionsPerSecond: Double { Double(transactions) / burstSeconds }
    /// The most the machine could commit per second if each of the n replicas verified
    /// every request's signature once and did nothing else.
    public var cryptoFloorPerSecond: Double { 1_000_000 / (verifyMicroseconds * Double(nodes)) }
}

public struct Percentiles: Sendable {
    public var p50: Double
    public var p99: Double
    public var max: Double

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
        }
        p50 = at(0.50)
        p99 = at(0.99)
        max = sorted.last ?? .nan
    }
}

/// Drives a `LocalCluster`: a burst of signed transfers (throughput, and latency under
/// load), transfers one at a time (latency at rest), and trivial jobs one at a time
/// (submission to finalization). Every transaction goes through the primary's submit
/// path, as a client's would through its API, with the HTTP layer left out.
public struct ClusterBenchmark {
    public var transactions = 2_000
    /// Transactions outstanding at once in the burst.
    public var window = 512
    public var sequentialTransactions = 100
    public var jobs = 10
    /// How long the primary holds a partial batch, in 5 ms ticks: larger batches mean
    /// fewer votes per transaction, at some latency.
    public var batchDelayTicks: UInt64 = 4
    public var jobCode: [UInt8]
    public var jobInput: [UInt8]

    public init(jobCode: [UInt8], jobInput: [UInt8]) {
        self.jobCode = jobCode
        self.jobInput = jobInput
    }

    public func run(nodes: Int) async throws -> ClusterBenchmarkResult {
        let verify = ClusterBenchmark.measureVerifyMicroseconds()
        let batchDelayTicks = self.batchDelayTicks
        let cluster = try await LocalCluster(
            nodes: nodes, chainID: "bench",
            configure: { testnet in
                testnet.consensus.tickMilliseconds = 5
                testnet.consensus.batchSizeMax = 256
                testnet.consensus.batchDelayTicks = batchDelayTicks
                testnet.consensus.checkpointInterval = 16
                testnet.consensus.windowSize = 64
                testnet.consensus.viewChangeTimeoutTicks = 400
                testnet.consensus.retransmitTicks = 200
            })
        do {
            let entry = try await waitForPeers(cluster)
            let burst = try await burst(cluster, via: entry)
            let sequential = try await sequential(cluster, via: entry)
            let jobLatencies = try await jobsOneAtATime(cluster, via: entry)
            let statuses = cluster.running.map(\.status)
            await cluster.shutdown()
            return ClusterBenchmarkResult(
                nodes: nodes, transactions: transactions, burstSeconds: burst.seconds,
                burstLatencyMs: Percentiles(burst.latencies), sequentialLatencyMs: Percentiles(sequential),
                jobFinalizationMs: Percentiles(jobLatencies), verifyMicroseconds: verify,
                finalView: statuses.map(\.view).max() ?? 0, inboxDropped: statuses.map(\.inboxDropped).reduce(0, +),
                peerFramesDropped: statuses.map(\.peerFramesDropped).reduce(0, +))
        } catch {
            await cluster.shutdown()
            throw error
        }
    }

    /// Waits until every node is linked to every other; returns the primary's index.
    private func waitForPeers(_ cluster: LocalCluster) async throws -> Int {
        let peers = cluster.running.count - 1
        try await until(seconds: 30, "nodes to connect") { cluster.running.allSatisfy { $0.status.peersConnected == peers } }
        return cluster.node(0).status.primary
    }

    /// Keeps `window` transactions outstanding (below the replicas' pending-request
    /// bound, as a client with flow control would) until all are committed.
    private func burst(_ cluster: LocalCluster, via entry: Int) async throws -> (seconds: Double, latencies: [Double]) {
        let recipient = PrivateKey.deterministic(seed: "bench-recipient").publicKey
        let signed = (0..<transactions).map { _ in cluster.sign(.transfer(to: recipient, amount: 1)) }
        let node = cluster.node(entry)
        var submitted = [ContinuousClock.Instant?](repeating: nil, count: signed.count)
        var committed = [ContinuousClock.Instant?](repeating: nil, count: signed.count)
        var open: [Int] = []
        var next = 0
        let start = ContinuousClock.now
        let deadline = start + .seconds(300)
        while next < signed.count || !open.isEmpty {
            guard ContinuousClock.now < deadline else { throw BenchmarkError.timedOut("\(open.count) transactions never committed") }
            while next < signed.count && open.count < window {
                submitted[next] = .now
                try node.submit(signed[next])
                open.append(next)
                next += 1
            }
            let now = ContinuousClock.now
            open.removeAll { index in
                guard case .committed? = node.transactionStatus(signed[index].id) else { return false }
                committed[index] = now
                return true
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let end = committed.compactMap { $0 }.max() ?? start
        let latencies = zip(submitted, committed).map { milliseconds($1! - $0!) }
        return (seconds(end - start), latencies)
    }

    private func sequential(_ cluster: LocalCluster, via entry: Int) async throws -> [Double] {
        let recipient = PrivateKey.deterministic(seed: "bench-recipient").publicKey
        let node = cluster.node(entry)
        var latencies: [Double] = []
        for _ in 0..<sequentialTransactions {
            let transaction = cluster.sign(.transfer(to: recipient, amount: 1))
            let start = ContinuousClock.now
            try node.submit(transaction)
            try await until(seconds: 30, "a transfer to commit") {
                if case .committed? = node.transactionStatus(transaction.id) { return true }
                return false
            }
            latencies.append(milliseconds(ContinuousClock.now - start))
        }
        return latencies
    }

    private func jobsOneAtATime(_ cluster: LocalCluster, via entry: Int) async throws -> [Double] {
        let node = cluster.node(entry)
        let code = try node.blobs.put(jobCode)
        let input = try node.blobs.put(jobInput)
        for other in cluster.running {
            _ = try other.blobs.put(jobCode)
            _ = try other.blobs.put(jobInput)
        }
        var latencies: [Double] = []
        for index in 0..<jobs {
            let spec = JobSpec(
                code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: 100_000_000 + UInt64(index),
                memoryLimitPages: 64, deadlineHeights: 150)
            let transaction = cluster.sign(.submitJob(spec: spec, fee: 100))
            let jobID = cluster.jobID(of: transaction, spec: spec)
            let start = ContinuousClock.now
            try node.submit(transaction)
            try await until(seconds: 60, "a job to finalize") {
                guard let status = try node.ledger.job(jobID)?.status else { return false }
                return status == .finalized || status == .settled
            }
            latencies.append(milliseconds(ContinuousClock.now - start))
        }
        return latencies
    }

    /// One BIP-340 verification, on this machine, now (best of three rounds).
    public static func measureVerifyMicroseconds(rounds: Int = 2_000) -> Double {
        let key = PrivateKey.deterministic(seed: "bench-verify")
        let message = Array(repeating: UInt8(7), count: 120)
        let signature = key.sign(message, domain: .transaction)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            var valid = 0
            for _ in 0..<rounds where key.publicKey.verify(signature, for: message, domain: .transaction) { valid += 1 }
            precondition(valid == rounds, "a valid signature failed to verify")
            best = min(best, seconds(ContinuousClock.now - start) * 1_000_000 / Double(rounds))
        }
        return best
    }
}

public enum BenchmarkError: Error, CustomStringConvertible {
    case timedOut(String)
    /// A node refused the benchmark's input outright (its inbox was full).
    case refused(String)
    public var description: String {
        switch self {
        case .timedOut(let what): return "benchmark timed out: \(what)"
        case .refused(let what): return "benchmark input refused: \(what)"
        }
    }
}

func until(seconds limit: Double, _ what: String, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(limit * 1000))
    while !(try condition()) {
        guard ContinuousClock.now < deadline else { throw BenchmarkError.timedOut("waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(1))
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }
