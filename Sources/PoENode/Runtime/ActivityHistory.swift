import NIOConcurrencyHelpers
import PoELedger

/// What the status page charts and lists, in bounded memory: one sample per second of
/// the last `secondsMax` seconds (transactions and batches committed, commit latency),
/// the job statuses and slashes seen in the batches this node applied since it started,
/// and the most recent of those slashes.
final class ActivityHistory: Sendable {
    static let secondsMax = 600
    static let slashesMax = 32

    struct Second: Sendable, Equatable {
        var transactions = 0
        var batches = 0
        var latencyCount = 0
        var latencySumSeconds = 0.0
        var latencyMaxSeconds = 0.0
    }

    private struct State {
        /// A ring: second `s` (since `start`) lives at `s % secondsMax`.
        var seconds = [Second](repeating: Second(), count: ActivityHistory.secondsMax)
        var newest = 0
        var totals = ActivityTotals()
        var slashes: [SlashInfo] = []

        /// Moves the ring to `second`, clearing the seconds it skips (none twice).
        mutating func advance(to second: Int) {
            guard second > newest else { return }
            for cleared in (max(newest + 1, second - ActivityHistory.secondsMax + 1))...second {
                seconds[cleared % ActivityHistory.secondsMax] = Second()
            }
            newest = second
        }
    }

    private let start: ContinuousClock.Instant
    private let state = NIOLockedValueBox(State())

    init(start: ContinuousClock.Instant = .now) { self.start = start }

    private func second(at instant: ContinuousClock.Instant) -> Int {
        let elapsed = instant - start
        return max(0, Int(elapsed.components.seconds))
    }

    func recordBatch(transactions: Int, latencies: [Duration], at instant: ContinuousClock.Instant = .now) {
        let now = second(at: instant)
        state.withLockedValue { state in
            state.advance(to: now)
            var sample = state.seconds[now % ActivityHistory.secondsMax]
            sample.transactions += transactions
            sample.batches += 1
            for latency in latencies {
                let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
                sample.latencyCount += 1
                sample.latencySumSeconds += seconds
                sample.latencyMaxSeconds = max(sample.latencyMaxSeconds, seconds)
            }
            state.seconds[now % ActivityHistory.secondsMax] = sample
        }
    }

    /// A job reached `status` (`.pending`: it was submitted) in a batch this node applied.
    func recordJob(_ status: JobStatus) {
        state.withLockedValue { state in
            switch status {
            case .pending: state.totals.jobsSubmitted += 1
            case .finalized: state.totals.jobsFinalized += 1
            case .settled: state.totals.jobsSettled += 1
            case .failed: state.totals.jobsFailed += 1
            }
        }
    }

    func recordSlash(_ slash: SlashInfo) {
        state.withLockedValue { state in
            state.totals.slashes += 1
            state.slashes.insert(slash, at: 0)
            if state.slashes.count > ActivityHistory.slashesMax { state.slashes.removeLast() }
        }
    }

    /// The samples of the last `seconds` seconds since the node started, oldest first,
    /// ending with the current second.
    func response(seconds count: Int, at instant: ContinuousClock.Instant = .now) -> ActivityResponse {
        precondition((1...ActivityHistory.secondsMax).contains(count))
        let now = second(at: instant)
        return state.withLockedValue { state in
            state.advance(to: now)
            let samples = (max(0, now - count + 1)...now).map { state.seconds[$0 % ActivityHistory.secondsMax] }
            return ActivityResponse(
                uptimeSeconds: now, transactions: samples.map(\.transactions), batches: samples.map(\.batches),
                latencyCount: samples.map(\.latencyCount),
                latencyMeanMs: samples.map { $0.latencyCount == 0 ? nil : 1000 * $0.latencySumSeconds / Double($0.latencyCount) },
                latencyMaxMs: samples.map { $0.latencyCount == 0 ? nil : 1000 * $0.latencyMaxSeconds },
                totals: state.totals, slashes: state.slashes)
        }
    }
}
