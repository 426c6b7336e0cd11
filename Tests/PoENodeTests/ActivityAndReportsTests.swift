import Foundation
import Logging
import Testing
@testable import PBFT
@testable import PoENode
@testable import PoENodeCore
import PoELedger
import PoETransport

@Suite struct ActivityHistoryTests {
    @Test func samplesArePerSecondOldestFirstWithQuietSecondsAtZero() {
        let start = ContinuousClock.now
        let history = ActivityHistory(start: start)
        history.recordBatch(transactions: 3, latencies: [.milliseconds(20), .milliseconds(40)], at: start + .milliseconds(100))
        history.recordBatch(transactions: 1, latencies: [], at: start + .milliseconds(900))
        history.recordBatch(transactions: 5, latencies: [.milliseconds(10)], at: start + .seconds(3))
        let response = history.response(seconds: 5, at: start + .milliseconds(3500))
        #expect(response.uptimeSeconds == 3)
        #expect(response.transactions == [4, 0, 0, 5], "seconds 0 to 3: none before the start")
        #expect(response.batches == [2, 0, 0, 1])
        #expect(response.latencyCount == [2, 0, 0, 1])
        #expect(response.latencyMeanMs[0].map { abs($0 - 30) < 0.001 } == true)
        #expect(response.latencyMaxMs[0].map { abs($0 - 40) < 0.001 } == true)
        #expect(response.latencyMeanMs[1] == nil, "no latency in a second without any")
        #expect(history.response(seconds: 2, at: start + .milliseconds(3500)).transactions == [0, 5])
    }

    @Test func memoryIsBoundedAndOldSecondsAreForgotten() {
        let start = ContinuousClock.now
        let history = ActivityHistory(start: start)
        history.recordBatch(transactions: 7, latencies: [], at: start)
        let later = start + .seconds(ActivityHistory.secondsMax + 5)
        history.recordBatch(transactions: 1, latencies: [], at: later)
        let response = history.response(seconds: ActivityHistory.secondsMax, at: later)
        #expect(response.transactions.reduce(0, +) == 1, "the first second fell out of the window")
        for index in 0..<(ActivityHistory.slashesMax + 3) {
            history.recordSlash(SlashInfo(nodeKey: "k", jobID: "\(index)", height: UInt64(index), attestedDigest: "a", agreedDigest: "b"))
        }
        let slashes = history.response(seconds: 1, at: later).slashes
        #expect(slashes.count == ActivityHistory.slashesMax)
        #expect(slashes.first?.jobID == "\(ActivityHistory.slashesMax + 2)", "newest first")
        #expect(history.response(seconds: 1, at: later).totals.slashes == ActivityHistory.slashesMax + 3)
    }

    @Test func jobTotals() {
        let history = ActivityHistory()
        for status in [JobStatus.pending, .pending, .finalized, .settled, .failed] { history.recordJob(status) }
        let totals = history.response(seconds: 1).totals
        #expect(totals.jobsSubmitted == 2 && totals.jobsFinalized == 1 && totals.jobsSettled == 1 && totals.jobsFailed == 1)
    }
}

@Suite struct CounterReportsTests {
    func readings(inboxDropped: Int, divergent: Int = 0) -> NodeReadings {
        var status = NodeStatus(name: "node0", nodeKey: "", replicaID: 0)
        status.inboxDropped = inboxDropped
        var replica = Replica.Counters()
        replica.divergentCheckpoints = divergent
        return NodeReadings(status: status, replica: replica, core: NodeCore.Counters(), peers: PeerNetworkStats(), jobsQueued: 0)
    }

    /// A counter someone else drives is logged at once, then at most once an interval,
    /// with how many more there were.
    @Test func growthIsLoggedAtOnceThenAtMostOnceAnInterval() throws {
        let captured = CapturedLines()
        let logger = Logger(label: "poe.test") { NodeLogHandler(label: $0, format: .json, output: captured.output) }
        let reports = CounterReports(logger: logger, interval: .seconds(10))
        let start = ContinuousClock.now
        reports.check(readings(inboxDropped: 0), now: start)
        #expect(captured.lines.isEmpty)
        reports.check(readings(inboxDropped: 2), now: start + .seconds(1))
        reports.check(readings(inboxDropped: 900), now: start + .seconds(2))
        reports.check(readings(inboxDropped: 1000), now: start + .seconds(5))
        #expect(captured.objects.count == 1)
        reports.check(readings(inboxDropped: 1000, divergent: 1), now: start + .seconds(6))
        reports.check(readings(inboxDropped: 1500), now: start + .seconds(12))
        let lines = captured.objects
        #expect(lines.map { $0["count"] as? String } == ["2", "1", "1498"])
        #expect(lines.map { $0["level"] as? String } == ["warning", "error", "warning"])
        #expect((lines[1]["message"] as? String)?.contains("diverged") == true)
    }
}
