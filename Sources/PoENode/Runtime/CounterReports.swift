import Logging

/// Logs the growth of counters whose pace a peer or a client decides (drops, malformed
/// or invalid messages, refusals), and of those that mean something is wrong with the
/// cluster (conflicting pre-prepares, divergent checkpoints), without letting anyone
/// flood the log: the first increase is logged at once, then at most one line per
/// counter per `interval`, with how many more there were. The exact counts are in the
/// metrics. Used by the loop thread only.
final class CounterReports: @unchecked Sendable {
    struct Report: Sendable {
        var level: Logger.Level
        var message: String
        var read: @Sendable (NodeReadings) -> Int
    }

    static let reports: [Report] = [
        Report(level: .warning, message: "inputs dropped: the node's inbox was full") { $0.status.inboxDropped },
        Report(level: .warning, message: "frames to peers dropped: a peer's queue was full (the peer is down or slow)") {
            $0.status.peerFramesDropped
        },
        Report(level: .warning, message: "peer messages that do not decode") { $0.status.malformedPeerMessages },
        Report(level: .warning, message: "peer messages refused by validation (signature, sender or contents)") {
            $0.status.invalidPeerMessages
        },
        Report(level: .warning, message: "client requests dropped: the replica's pending list was full") {
            $0.replica.pendingFull
        },
        Report(level: .warning, message: "requests of this node's clients given up on and marked refused") {
            $0.status.duties.requestsRefused
        },
        Report(level: .warning, message: "a primary proposed conflicting pre-prepares for one sequence number") {
            $0.replica.conflictingPrePrepares
        },
        Report(level: .warning, message: "new-view messages that do not follow from their view changes") {
            $0.replica.rejectedNewViews
        },
        Report(level: .warning, message: "fetched states that do not match the certified checkpoint") {
            $0.replica.rejectedStateTransfers
        },
        Report(level: .error, message: "this replica refused to sign a vote conflicting with one it signed before") {
            $0.replica.refusedDoubleSigns
        },
        Report(level: .error, message: "a stable checkpoint's digest differs from this node's own: its state diverged") {
            $0.replica.divergentCheckpoints
        },
    ]

    let logger: Logger
    let interval: Duration
    private var reported: [Int]
    private var reportedAt: [ContinuousClock.Instant?]

    /// 30 s: a validator that is down for hours makes its peers drop frames all along;
    /// two lines a minute say so without burying the rest.
    init(logger: Logger, interval: Duration = .seconds(30)) {
        self.logger = logger
        self.interval = interval
        reported = Array(repeating: 0, count: CounterReports.reports.count)
        reportedAt = Array(repeating: nil, count: CounterReports.reports.count)
    }

    func check(_ readings: NodeReadings, now: ContinuousClock.Instant = .now) {
        for (index, report) in CounterReports.reports.enumerated() {
            let total = report.read(readings)
            guard total > reported[index] else { continue }
            if let last = reportedAt[index], now - last < interval { continue }
            logger.log(
                level: report.level, "\(report.message)",
                metadata: ["count": "\(total - reported[index])", "total": "\(total)"])
            reported[index] = total
            reportedAt[index] = now
        }
    }
}
