import ArgumentParser
import Foundation
import PoENode

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a local cluster: transactions per second, commit and job latency, and the crypto floor.",
        discussion: """
            Runs each cluster size in this process (real TCP on loopback, real SQLite, real
            signatures). Build in release mode for meaningful figures: scripts/bench.
            """)

    @Option(help: "Cluster sizes, comma-separated.")
    var nodes = "4,7,10"

    @Option(help: "Transfers in the throughput burst.")
    var transactions = 2_000

    @Option(help: "Transfers sent one at a time, for latency at rest.")
    var sequential = 100

    @Option(help: "Trivial jobs sent one at a time, for submission-to-finalization latency.")
    var jobs = 10

    @Option(help: "Ticks (5 ms) the primary holds a partial batch.")
    var batchDelayTicks: UInt64 = 4

    @Option(help: "Transactions outstanding at once in the burst (at most 512, half the replicas' pending-request bound).")
    var window = 512

    @Option(help: "The folder with the example jobs.")
    var jobsFolder = "cluster/jobs"

    @Flag(help: ArgumentHelp(
        "Order unsigned 8-byte requests through the same replica, vote log and network, executing nothing (libhotstuff's model).",
        discussion: "Uses --requests, --clients and --outstanding for the burst; --transactions, --jobs and --window do not apply."))
    var orderingOnly = false

    @Option(help: "With --ordering-only: requests ordered in the throughput burst.")
    var requests = 50_000

    @Option(help: "With --ordering-only: clients in the burst, each sending every request to every replica.")
    var clients = 4

    @Option(help: "With --ordering-only: requests each client keeps in flight.")
    var outstanding = 700

    func run() async throws {
        let sizes = nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ (1...32).contains($0) }) else {
            throw ValidationError("--nodes takes sizes from 1 to 32, like 4,7,10")
        }
        if orderingOnly {
            try await runOrderingOnly(sizes)
            return
        }
        let folder = URL(fileURLWithPath: jobsFolder)
        guard let code = FileManager.default.contents(atPath: folder.appendingPathComponent("wordcount.wasm").path) else {
            throw CommandFailure("\(jobsFolder)/wordcount.wasm not found; run from the repository root or pass --jobs-folder")
        }
        var benchmark = ClusterBenchmark(jobCode: [UInt8](code), jobInput: Array("a trivial job\n".utf8))
        benchmark.transactions = transactions
        benchmark.sequentialTransactions = sequential
        benchmark.jobs = jobs
        benchmark.batchDelayTicks = batchDelayTicks
        // A window near the replicas' bound of 1024 pending requests gets requests
        // refused, and the benchmark, unlike a client, does not resend them.
        guard (1...512).contains(window) else { throw ValidationError("--window takes 1 to 512") }
        benchmark.window = window
        print("nodes | tx/s  | burst p50/p99 ms | at-rest p50/p99 ms | job p50/p99 ms | verify µs | floor tx/s | tx/s ÷ floor | view | dropped inbox/peer")
        print("------|-------|------------------|--------------------|----------------|-----------|------------|--------------|------|-------------------")
        for size in sizes {
            let result = try await benchmark.run(nodes: size)
            print(
                String(
                    format: "%5d | %5.0f | %7.1f / %7.1f | %8.1f / %8.1f | %6.0f / %6.0f | %9.1f | %10.0f | %12.2f | %4ld | %7ld / %7ld",
                    result.nodes, result.transactionsPerSecond, result.burstLatencyMs.p50, result.burstLatencyMs.p99,
                    result.sequentialLatencyMs.p50, result.sequentialLatencyMs.p99, result.jobFinalizationMs.p50,
                    result.jobFinalizationMs.p99, result.verifyMicroseconds, result.cryptoFloorPerSecond,
                    result.transactionsPerSecond / result.cryptoFloorPerSecond, result.finalView, result.inboxDropped,
                    result.peerFramesDropped))
        }
    }

    private func runOrderingOnly(_ sizes: [Int]) async throws {
        guard (1...1_000_000).contains(requests) else { throw ValidationError("--requests takes 1 to 1000000") }
        guard (1...64).contains(clients) else { throw ValidationError("--clients takes 1 to 64") }
        guard (1...4_096).contains(outstanding), clients * outstanding <= 16_384 else {
            throw ValidationError("--outstanding takes 1 to 4096, and clients × outstanding at most 16384")
        }
        guard (0...100_000).contains(sequential) else { throw ValidationError("--sequential takes 0 to 100000") }
        var benchmark = OrderingBenchmark()
        benchmark.requests = requests
        benchmark.clients = clients
        benchmark.outstandingPerClient = outstanding
        benchmark.sequentialRequests = sequential
        benchmark.batchDelayTicks = batchDelayTicks
        print("ordering only: unsigned 8-byte requests, \(clients) clients × \(outstanding) outstanding, ordered when f+1 replicas delivered them")
        // The columns of the real path's table, so that scripts read both alike; what
        // does not apply (jobs, request signatures) is "-".
        print("nodes | tx/s  | burst p50/p99 ms | at-rest p50/p99 ms | job p50/p99 ms | verify µs | floor tx/s | tx/s ÷ floor | view | dropped inbox/peer")
        print("------|-------|------------------|--------------------|----------------|-----------|------------|--------------|------|-------------------")
        for size in sizes {
            let result = try await benchmark.run(nodes: size)
            print(
                String(
                    format: "%5d | %5.0f | %7.1f / %7.1f | %8.1f / %8.1f |          - / - |         - |          - |            - | %4ld | %7ld / %7ld",
                    result.nodes, result.requestsPerSecond, result.burstLatencyMs.p50, result.burstLatencyMs.p99,
                    result.sequentialLatencyMs.p50, result.sequentialLatencyMs.p99, result.finalView,
                    result.inboxDropped, result.peerFramesDropped))
        }
    }
}
