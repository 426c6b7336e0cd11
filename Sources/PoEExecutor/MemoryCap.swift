@_spi(Fuzzing) import WasmKit
import Synchronization

/// Caps a job's linear memory and tables, and remembers whether it refused a request,
/// so that the run can be reported as out of memory rather than as whatever the module
/// did next (usually a trap after a failed malloc).
final class MemoryCap: ResourceLimiter {
    /// Largest table a job may grow to, in elements.
    static let tableElementsMax = 100_000

    private let memoryBytesMax: Int
    private let refused = Atomic<Bool>(false)

    init(memoryLimitPages: UInt32) {
        memoryBytesMax = Int(memoryLimitPages) * 65_536
    }

    var didRefuse: Bool { refused.load(ordering: .relaxed) }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= memoryBytesMax else {
            refused.store(true, ordering: .relaxed)
            return false
        }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        guard desired <= MemoryCap.tableElementsMax else {
            refused.store(true, ordering: .relaxed)
            return false
        }
        return true
    }
}
