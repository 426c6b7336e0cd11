public import PoEDuties
import ArgumentParser
import Foundation
import PoENode

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Launch a local cluster of node processes, some faulty on purpose, run the example jobs and report.",
        discussion: """
            Writes a testnet, starts one `poe node` process per validator on loopback, uploads
            the example jobs to the first node and submits them through its API, shows the
            nodes and jobs live, and ends with a report: jobs finalized and their latency,
            proofs checked offline against genesis, rewards and slashes, and whether every
            honest node holds the same ledger root. Exits non-zero when any check fails.
            """)

    @Option(name: .shortAndLong, help: "Number of validators.")
    var nodes = 4

    @Option(
        name: .customLong("fault"),
        help: "A node faulty on purpose, INDEX:MODE (\(FaultMode.allCases.map(\.rawValue).joined(separator: ", "))). Repeatable.")
    var faults: [String] = []

    @Option(help: "A node to kill -9 after the jobs are submitted, and restart.")
    var crash: Int?

    @Option(help: "The folder with the example jobs.")
    var jobsFolder = "cluster/jobs"

    @Option(help: "Where to write the testnet (default: a new temporary folder).")
    var out: String?

    @Option(help: "Seconds to wait for the jobs to settle.")
    var timeout: Double = 180

    @Option(help: "First peer port.")
    var peerPortBase = 26600

    @Option(help: "First API port.")
    var apiPortBase = 26700

    func run() async throws {
        var options = ClusterHarness.Options()
        options.nodes = nodes
        options.faults = try parseFaults(faults, nodes: nodes)
        options.crash = crash
        options.timeoutSeconds = timeout
        options.peerPortBase = peerPortBase
        options.apiPortBase = apiPortBase
        options.redraw = isatty(STDOUT_FILENO) != 0
        options.jobs = try HarnessJob.examples(folder: URL(fileURLWithPath: jobsFolder))
        if let crash, !(0..<nodes).contains(crash) { throw ValidationError("--crash must name a node below --nodes") }
        let folder = URL(
            fileURLWithPath: out ?? FileManager.default.temporaryDirectory.appendingPathComponent("poe-cluster-\(getpid())").path)
        let harness = try ClusterHarness(
            options: options, folder: folder, executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        ) { Swift.print($0) }
        let report = try await harness.run()
        print(report.rendered)
        guard report.passed(options: options) else { throw ExitCode.failure }
    }
}

func parseFaults(_ faults: [String], nodes: Int) throws -> [Int: FaultMode] {
    var result: [Int: FaultMode] = [:]
    for fault in faults {
        let parts = fault.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let index = Int(parts[0]), (0..<nodes).contains(index),
            let mode = FaultMode(rawValue: parts[1])
        else { throw ValidationError("--fault \(fault): expected INDEX:MODE with INDEX below the node count") }
        result[index] = mode
    }
    return result
}
