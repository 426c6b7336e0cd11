import Dispatch
import NIOConcurrencyHelpers
import PoENodeCore

/// The bounded queue in front of the node's loop. Producers (peer links, the API, the
/// ticker, the job runner) never block: past `capacity` inputs or `bytesMax` bytes, an
/// input is dropped and counted; the protocol recovers lost messages by retransmission
/// and view change. Both bounds matter: a peer frame may be 4 MiB, so a count alone
/// would let a few fast peers queue gigabytes.
final class NodeInbox: Sendable {
    private struct State {
        var items: [NodeInput] = []
        var head = 0
        var bytes = 0
        var closed = false
        var dropped = 0
        var count: Int { items.count - head }

        /// Takes the input at `head`. A consumed input is released at once (a queued
        /// batch can be megabytes), and the array is cut back when empty or mostly
        /// consumed, so a burst leaves neither its inputs nor its buffer behind.
        mutating func take() -> NodeInput {
            precondition(count > 0, "take from an empty inbox")
            let item = items[head]
            items[head] = .tick
            head += 1
            bytes -= NodeInbox.size(of: item)
            precondition(bytes >= 0, "inbox bytes never go negative")
            if head == items.count {
                items.removeAll(keepingCapacity: items.count <= 4096)
                head = 0
            } else if head > 1024 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    let capacity: Int
    let bytesMax: Int
    private let state = NIOLockedValueBox(State())
    private let available = DispatchSemaphore(value: 0)

    init(capacity: Int, bytesMax: Int) {
        precondition(capacity > 0 && bytesMax > 0)
        self.capacity = capacity
        self.bytesMax = bytesMax
    }

    /// What an input holds in memory, near enough for a budget: the bytes of a peer
    /// frame or a request's operation, plus a fixed overhead for the rest.
    static func size(of input: NodeInput) -> Int {
        switch input {
        case .peer(_, let bytes): return 64 + bytes.count
        case .client(let request): return 192 + request.operation.count
        case .tick, .jobFinished, .jobNotRun: return 256
        }
    }

    var dropped: Int { state.withLockedValue { $0.dropped } }
    /// Gauges: inputs and bytes queued now.
    var queued: (count: Int, bytes: Int) { state.withLockedValue { ($0.count, $0.bytes) } }

    /// Queues `input`; false when it was dropped (inbox full or closed). `reserved`
    /// inputs pass a full inbox: only the job runner uses it, for the end of a job it
    /// accepted, so their number is bounded by the runner's queue.
    @discardableResult
    func enqueue(_ input: NodeInput, reserved: Bool = false) -> Bool {
        let size = NodeInbox.size(of: input)
        let accepted = state.withLockedValue { state -> Bool in
            guard !state.closed, reserved || (state.count < capacity && state.bytes + size <= bytesMax) else {
                state.dropped += 1
                return false
            }
            state.items.append(input)
            state.bytes += size
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
                return .some(state.take())
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
                return state.take()
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
