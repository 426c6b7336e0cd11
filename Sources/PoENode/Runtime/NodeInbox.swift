import Dispatch
import NIOConcurrencyHelpers
import PoENodeCore

/// The bounded queue in front of the node's loop. Producers (peer links, the API, the
/// ticker, the job runner) never block: past `capacity`, an input is dropped and
/// counted; the protocol recovers lost messages by retransmission and view change.
final class NodeInbox: Sendable {
    private struct State {
        var items: [NodeInput] = []
        var head = 0
        var closed = false
        var dropped = 0
        var count: Int { items.count - head }
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())
    private let available = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var dropped: Int { state.withLockedValue { $0.dropped } }

    /// Queues `input`; false when it was dropped (inbox full or closed). `reserved`
    /// inputs pass a full inbox: only the job runner uses it, for the end of a job it
    /// accepted, so their number is bounded by the runner's queue.
    @discardableResult
    func enqueue(_ input: NodeInput, reserved: Bool = false) -> Bool {
        let accepted = state.withLockedValue { state -> Bool in
            guard !state.closed, reserved || state.count < capacity else {
                state.dropped += 1
                return false
            }
            state.items.append(input)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// The next input, waiting for one; nil once closed and drained.
    func next() -> NodeInput? {
        while true {
            available.wait()
            let item = state.withLockedValue { state -> NodeInput?? in
                guard state.count > 0 else { return state.closed ? .some(nil) : nil }
                let item = state.items[state.head]
                state.head += 1
                // Reclaim the consumed prefix once it dominates the buffer.
                if state.head > 1024 && state.head * 2 > state.items.count {
                    state.items.removeFirst(state.head)
                    state.head = 0
                }
                return .some(item)
            }
            if let item { return item }
        }
    }

    /// The next input (waiting for one) and whatever else is queued, up to `max`: the
    /// loop handles them as one group, with one fsync for all their votes.
    func nextGroup(max: Int) -> [NodeInput] {
        precondition(max > 0)
        guard let first = next() else { return [] }
        var group = [first]
        while group.count < max, available.wait(timeout: .now()) == .success {
            let item = state.withLockedValue { state -> NodeInput? in
                guard state.count > 0 else { return nil }
                defer { state.head += 1 }
                return state.items[state.head]
            }
            guard let item else {
                // The signal was for the close: give it back for `next()` to see.
                available.signal()
                break
            }
            group.append(item)
        }
        return group
    }

    func close() {
        state.withLockedValue { $0.closed = true }
        available.signal()
    }
}
