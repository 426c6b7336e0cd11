import Dispatch
import NIOConcurrencyHelpers
import PoECrypto
import PoEExecutor

/// Runs jobs one at a time, off the node's loop, on a queue of bounded length. A job
/// can take seconds; consensus must not wait for it.
final class JobRunner: Sendable {
    private let queue = DispatchQueue(label: "poe.jobs")
    private let queued = NIOLockedValueBox(0)
    let queuedMax: Int

    init(queuedMax: Int = 256) {
        precondition(queuedMax > 0)
        self.queuedMax = queuedMax
    }

    /// Jobs queued or running now.
    var queuedCount: Int { queued.withLockedValue { $0 } }

    /// Starts `job` when the runner is free; false (and nothing runs) when the queue is full.
    /// `finished` gets the result and how long the run took (not counting the wait in the queue).
    func run(
        _ job: JobExecution, store: BlobStore,
        finished: @escaping @Sendable (Result<ExecutionResult, BlobStoreError>, Duration) -> Void
    ) -> Bool {
        let accepted = queued.withLockedValue { count -> Bool in
            guard count < queuedMax else { return false }
            count += 1
            return true
        }
        guard accepted else { return false }
        queue.async { [queued] in
            let started = ContinuousClock.now
            let result = Result { () throws(BlobStoreError) -> ExecutionResult in try Executor.run(job, store: store) }
            let duration = ContinuousClock.now - started
            queued.withLockedValue { $0 -= 1 }
            finished(result, duration)
        }
        return true
    }
}
