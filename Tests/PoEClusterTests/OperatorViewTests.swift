import Foundation
import Logging
import PoECrypto
import PoELedger
import PoENode
import Testing

/// What an operator sees of a job's life on a real node (in-process cluster, real TCP and
/// SQLite): the info log tells it with the job, height, digest and peer; the metrics and
/// the status page's routes count it.
@Suite(.serialized) struct OperatorViewTests {
    @Test func aJobsLifeIsInTheLogTheMetricsAndTheActivity() async throws {
        let lines = LogLines()
        let output = LogOutput { line in lines.append(line) }
        let cluster = try await LocalCluster(
            nodes: 4, faults: [3: .wrongResult], chainID: "operator-view", logLevel: .info,
            logHandler: { label in NodeLogHandler(label: label, format: .json, output: output) })
        let jobID = try submitWordCount(cluster)
        let node0 = cluster.node(0)
        #expect(try await eventually(seconds: 60) { try node0.ledger.job(jobID)?.status == .settled })
        let faulty = cluster.cluster.members[3].nodeKey

        // The log of node 0, one JSON object per line.
        func node0Lines() -> [[String: String]] {
            lines.all.compactMap { line -> [String: String]? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["logger"] as? String == "local.node0"
                else { return nil }
                return object.compactMapValues { $0 as? String }
            }
        }
        func line(_ message: String) -> [String: String]? { node0Lines().first { $0["message"] == message } }
        // The ledger says settled as soon as the batch is committed; the node reports it
        // right after, on its loop.
        #expect(try await eventually(seconds: 10) { line("validator slashed") != nil })
        for message in ["job submitted", "running job", "job ran", "attesting", "job finalized", "job settled", "validator slashed"] {
            let found = line(message)
            #expect(found?["job"] == jobID.short, "\(message): \(String(describing: found))")
            #expect(found?["node"] == "node0")
        }
        #expect(line("job finalized")?["digest"] == (try node0.ledger.job(jobID)?.agreedDigest?.short))
        #expect(line("job settled")?["slashed"] == "1")
        #expect(line("validator slashed")?["peer"] == faulty.short)
        #expect(line("peer link up")?["peer"] != nil)

        let samples = [
            "poe_slashes_total 1", #"poe_jobs_total{status="pending"} 1"#, #"poe_jobs_total{status="finalized"} 1"#,
            #"poe_jobs_total{status="settled"} 1"#, #"poe_jobs_total{status="failed"} 0"#, "poe_duty_jobs_started_total 1",
            "poe_duty_attestations_submitted_total 1", "poe_peers_connected 3.0", #"poe_job_outcomes_total{outcome="success"} 1"#,
        ]
        // Gauges and counters fed from totals are brought up to date when the loop ends its group.
        func missing() -> [String] { samples.filter { !node0.metricsText().contains($0 + "\n") } }
        #expect(try await eventually(seconds: 10) { missing().isEmpty }, "missing \(missing())")

        let activity = node0.activity(seconds: 120)
        #expect(activity.totals.jobsSettled == 1 && activity.totals.slashes == 1)
        #expect(activity.slashes.first?.nodeKey == faulty.hex && activity.slashes.first?.jobID == jobID.hex)
        #expect(activity.transactions.reduce(0, +) >= 5, "the job and four attestations were committed")
        #expect(activity.latencyMeanMs.contains { $0 != nil }, "the node's own attestations have a commit latency")
        #expect(node0.peers.allSatisfy(\.linked) && node0.peers.count == 3)
        await cluster.shutdown()
    }
}

/// Log lines written by several threads.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
