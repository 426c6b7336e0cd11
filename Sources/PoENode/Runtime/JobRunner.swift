import Dispatch
import NIOConcurrencyHelpers
import PoECrypto
import PoEExecutor

/// Runs jobs off the node's loop, up to `slots` at once, with a bounded queue: one slow
/// job (a worst case of its fuel) never holds up the others. A job can take seconds;
/// consensus must not wait for it.
final class JobRunner: Sendable {
    /// Jobs wait here, in order, for a slot; only this queue's one thread ever blocks.
    private let admission = DispatchQueue(label: "poe.jobs.admission")
    private let work = DispatchQueue(label: "poe.jobs", attributes: .concurrent)
    private let running: DispatchSemaphore
    private let queued = NIOLockedValueBox(0)
    let slots: Int
    let queuedMax: Int

    init(slots: Int, queuedMax: Int = 256) {
        precondition(slots > 0 && queuedMax >= slots, "a runner has slots and room to queue them")
        self.slots = slots
        self.queuedMax = queuedMax
        running = DispatchSemaphore(value: slots)
    }

    /// Jobs queued or running now.
    var queuedCount: Int { queued.withLockedValue { $0 } }

    /// Starts `job` when a slot is free; false (and nothing runs) when the queue is full.
    /// `finished` gets the result and how long the run took (not counting the wait).
    func run(
        _ job: JobExecution, store: BlobStore, profile: ExecutionProfile,
        finished: @escaping @Sendable (Result<ExecutionResult, BlobStoreError>, Duration) -> Void
    ) -> Bool {
        let accepted = queued.withLockedValue { count -> Bool in
            guard count < queuedMax else { return false }
            count += 1
            return true
        }
        guard accepted else { return false }
        admission.async { [work, queued, running] in
            running.wait()
            work.async {
                let started = ContinuousClock.now
                let result = Result { () throws(BlobStoreError) -> ExecutionResult in
                    try Executor.run(job, store: store, profile: profile)
                }
                let duration = ContinuousClock.now - started
                running.signal()
                queued.withLockedValue { $0 -= 1 }
                finished(result, duration)
            }
        }
        return true
    }
}
