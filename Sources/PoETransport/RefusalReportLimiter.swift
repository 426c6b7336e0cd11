/// Decides which handshake refusals become events: the first of a reason is reported,
/// the rest within `intervalNanoseconds` are only counted, and one summary event per
/// interval reports how many were held back. A remote controls how often refusals
/// happen; this bounds the events it can cause to two per reason per interval.
/// Time is passed in (uptime nanoseconds), so the value has no clock of its own.
struct RefusalReportLimiter: Sendable {
    enum Decision: Equatable {
        case report
        /// Counted only. When `flushAfterNanoseconds` is set, the caller calls
        /// `flush(_:nowNanoseconds:)` for this reason that much later.
        case suppress(flushAfterNanoseconds: UInt64?)
    }

    private struct Window {
        var startNanoseconds: UInt64
        var suppressed = 0
        var flushPending = false
    }

    let intervalNanoseconds: UInt64
    /// At most one window per reason: bounded by `HandshakeRefusal.allCases`.
    private var windows: [HandshakeRefusal: Window] = [:]

    init(intervalNanoseconds: UInt64) {
        precondition(intervalNanoseconds > 0, "the interval must be positive")
        self.intervalNanoseconds = intervalNanoseconds
    }

    mutating func refusal(_ reason: HandshakeRefusal, nowNanoseconds: UInt64) -> Decision {
        // A window stays open past its end while its flush is pending (an event loop
        // can run a task late): the flush reports what it holds.
        if var window = windows[reason],
            window.flushPending || nowNanoseconds < window.startNanoseconds + intervalNanoseconds
        {
            window.suppressed += 1
            defer { windows[reason] = window }
            guard !window.flushPending else { return .suppress(flushAfterNanoseconds: nil) }
            window.flushPending = true
            return .suppress(flushAfterNanoseconds: window.startNanoseconds + intervalNanoseconds - nowNanoseconds)
        }
        windows[reason] = Window(startNanoseconds: nowNanoseconds)
        return .report
    }

    /// The count held back for `reason` since its last event, now to be reported; 0
    /// when there is nothing to report. A summary opens a new window, so that it counts
    /// against the rate like any event.
    mutating func flush(_ reason: HandshakeRefusal, nowNanoseconds: UInt64) -> Int {
        guard let window = windows[reason], window.flushPending else { return 0 }
        let suppressed = window.suppressed
        precondition(suppressed > 0, "a flush is scheduled only after a suppressed refusal")
        windows[reason] = Window(startNanoseconds: nowNanoseconds)
        return suppressed
    }
}
