import Foundation
import Testing
@testable import PBFT
@testable import PoENode
@testable import PoENodeCore
import PoETransport

@Suite struct NodeMetricsTests {
    func readings(_ change: (inout NodeReadings) -> Void = { _ in }) -> NodeReadings {
        var status = NodeStatus(name: "node0", nodeKey: String(repeating: "ab", count: 32), replicaID: 0)
        status.replicas = (0..<4).map { ReplicaView(replicaID: $0, nodeKey: "\($0)", lastCheckpoint: 0, lastView: 0) }
        var readings = NodeReadings(
            status: status, replica: Replica.Counters(), core: NodeCore.Counters(), peers: PeerNetworkStats(), jobsQueued: 0)
        change(&readings)
        return readings
    }

    /// `TYPE` of every family in the exposition.
    func types(_ text: String) -> [String: String] {
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            types[String(parts[2])] = String(parts[3])
        }
        return types
    }

    @Test func everySeriesExistsFromTheStartWithZero() {
        let text = NodeMetrics(replicaCount: 4).text()
        for sample in [
            "poe_slashes_total 0", "poe_conflicting_preprepares_total 0", "poe_refused_double_signs_total 0",
            "poe_inbox_dropped_total 0", "poe_peer_frames_dropped_total 0", "poe_pending_requests 0.0",
            "poe_state_transfers_total 0", "poe_duty_jobs_started_total 0", #"poe_job_outcomes_total{outcome="out_of_fuel"} 0"#,
            #"poe_jobs_total{status="failed"} 0"#, #"poe_peer_handshakes_refused_total{reason="bad_signature"} 0"#,
            #"poe_replica_last_checkpoint{replica="3"} 0.0"#, "poe_commit_latency_seconds_count 0",
        ] {
            #expect(text.contains(sample + "\n"), "missing \(sample)")
        }
        let labelled = text.split(separator: "\n")
        #expect(labelled.filter { $0.hasPrefix("poe_job_outcomes_total{") }.count == OutcomeLabel.allCases.count)
        #expect(labelled.filter { $0.hasPrefix("poe_peer_handshakes_refused_total{") }.count == HandshakeRefusal.allCases.count)
        #expect(types(text)["poe_conflicting_preprepares"] == nil, "the old gauge is gone")
    }

    /// Totals kept elsewhere become counters that grow by what the total grew; the view
    /// the node starts in is not counted as views moved past.
    @Test func countersFollowTheTotalsTheyAreFedFrom() {
        let metrics = NodeMetrics(replicaCount: 4)
        metrics.update(readings { $0.status.view = 5; $0.status.inboxDropped = 3; $0.replica.refusedDoubleSigns = 1 })
        metrics.update(readings {
            $0.status.view = 7
            $0.status.inboxDropped = 10
            $0.replica.refusedDoubleSigns = 1
            $0.peers.handshakesRefusedByReason[.timeout] = 2
            $0.status.replicas[2].lastCheckpoint = 32
            $0.heap = HeapUsage(inUse: 12_000_000, held: 15_000_000, sqlite: 3_000_000)
        })
        let text = metrics.text()
        for sample in [
            "poe_view_changes_total 2", "poe_view 7.0", "poe_inbox_dropped_total 10", "poe_refused_double_signs_total 1",
            #"poe_peer_handshakes_refused_total{reason="timeout"} 2"#, #"poe_replica_last_checkpoint{replica="2"} 32.0"#,
            "poe_heap_in_use_bytes 12000000.0", "poe_heap_held_bytes 15000000.0", "poe_sqlite_memory_bytes 3000000.0",
        ] {
            #expect(text.contains(sample + "\n"), "missing \(sample) in\n\(text)")
        }
    }

    /// The table in docs/OPERATOR.md and the exposition name the same metrics with the
    /// same types (`scripts/check-metrics` checks a live node the same way).
    @Test func theOperatorGuideListsEveryMetricWithItsType() throws {
        let documented = try OperatorGuide.metricTable()
        #expect(documented.count > 50, "the table was found")
        let exported = types(NodeMetrics(replicaCount: 4).text())
        #expect(Set(documented.keys) == Set(exported.keys), """
            documented, not exported: \(Set(documented.keys).subtracting(exported.keys).sorted())
            exported, not documented: \(Set(exported.keys).subtracting(documented.keys).sorted())
            """)
        for (name, type) in exported { #expect(documented[name] == type, "\(name) is a \(type)") }
    }
}

/// The metrics table of docs/OPERATOR.md: name to type.
enum OperatorGuide {
    static func metricTable() throws -> [String: String] {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        let text = try String(contentsOf: root.appendingPathComponent("docs/OPERATOR.md"), encoding: .utf8)
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let match = line.wholeMatch(of: /\| `(poe_[a-z_]+)` \| (counter|gauge|histogram) \|.*/) else { continue }
            table[String(match.1)] = String(match.2)
        }
        return table
    }
}
