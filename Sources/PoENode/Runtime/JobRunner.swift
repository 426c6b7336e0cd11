import Foundation
import NIOConcurrencyHelpers
import PoECrypto
import PoEExecutor

/// Runs jobs off the node's loop on threads of its own, in two lanes: jobs with at most
/// `smallJobFuelMax` fuel, and the others. Each lane has `slots` threads taking jobs in
/// arrival order from a bounded queue. Fuel bounds a run's wall time and WasmKit cannot
/// pause a run, so the lanes are what keep jobs built to spend their whole fuel from
/// holding up ordinary ones: they fill only their own lane. Job threads keep the node's
/// priority: at nice 10 they got a tenth of a core against other busy processes and
/// missed their deadlines (a job's deadline assumes it gets its share of a core), while
/// the node's own threads, mostly waiting, are woken promptly by the scheduler anyway.
final class JobRunner: Sendable {
    /// The fuel of an ordinary job: `poe submit`'s default, about 0.1 s of plain work.
    static let smallJobFuelMax: UInt64 = 100_000_000

    typealias Finished = @Sendable (Result<ExecutionResult, BlobStoreError>, Duration) -> Void

    private struct Work: Sendable {
        let job: JobExecution
        let store: BlobStore
        let profile: ExecutionProfile
        let finished: Finished
    }

    /// One lane's queue; its threads wait on `available`. Once closed, its threads end.
    private final class Lane: Sendable {
        let waiting = NIOLockedValueBox<(work: [Work], closed: Bool)>(([], false))
        let available = DispatchSemaphore(value: 0)
    }

    private let lanes = [Lane(), Lane()]
    private let queued = NIOLockedValueBox(0)
    let slots: Int
    let queuedMax: Int

    init(slots: Int, queuedMax: Int = 256) {
        precondition(slots > 0 && queuedMax >= 2 * slots, "a runner has slots and room to queue them")
        self.slots = slots
        self.queuedMax = queuedMax
        for (index, lane) in lanes.enumerated() {
            for slot in 0..<slots {
                let thread = Thread { [queued] in JobRunner.serve(lane, queued: queued) }
                thread.name = "poe.jobs.\(index == 0 ? "small" : "large").\(slot)"
                thread.start()
            }
        }
    }

    /// Jobs queued or running now.
    var queuedCount: Int { queued.withLockedValue { $0 } }

    /// Queues `job` for its lane; false (and nothing runs) when the queue is full.
    /// `finished` gets the result and how long the run took (not the wait).
    func run(_ job: JobExecution, store: BlobStore, profile: ExecutionProfile, finished: @escaping Finished) -> Bool {
        let accepted = queued.withLockedValue { count -> Bool in
            guard count < queuedMax else { return false }
            count += 1
            return true
        }
        guard accepted else { return false }
        let lane = lanes[job.fuelLimit <= JobRunner.smallJobFuelMax ? 0 : 1]
        lane.waiting.withLockedValue { $0.work.append(Work(job: job, store: store, profile: profile, finished: finished)) }
        lane.available.signal()
        return true
    }

    /// The node is stopping: queued jobs are dropped (a restarted node runs its open jobs
    /// again), running ones finish, and the threads end.
    func close() {
        for lane in lanes {
            let dropped = lane.waiting.withLockedValue { state -> Int in
                defer { state = ([], true) }
                return state.work.count
            }
            queued.withLockedValue { $0 -= dropped }
            for _ in 0..<slots { lane.available.signal() }
        }
    }

    /// A job thread: jobs one after another until the runner is closed.
    private static func serve(_ lane: Lane, queued: NIOLockedValueBox<Int>) {
        while true {
            lane.available.wait()
            let next = lane.waiting.withLockedValue { state -> Work?? in
                if !state.work.isEmpty { return .some(state.work.removeFirst()) }
                return state.closed ? .none : .some(nil)
            }
            guard let item = next else { return }
            guard let work = item else { continue }
            let started = ContinuousClock.now
            let result = Result { () throws(BlobStoreError) -> ExecutionResult in
                try Executor.run(work.job, store: work.store, profile: work.profile)
            }
            let duration = ContinuousClock.now - started
            queued.withLockedValue { $0 -= 1 }
            work.finished(result, duration)
        }
    }
}
