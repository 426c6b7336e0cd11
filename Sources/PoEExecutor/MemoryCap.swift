@_spi(Fuzzing) import WasmKit
import Synchronization

/// Caps a job's linear memory and tables, charges fuel for what it grants, and remembers
/// whether it refused a request, so that the run can be reported as out of memory rather
/// than as whatever the module did next (usually a trap after a failed malloc).
///
/// Why grants cost fuel: `memory.grow` is one instruction, but the pages it grants are
/// later touched for the first time at the cost of a page fault each, and WasmKit copies a
/// whole table on every `table.grow`, even by zero elements. Priced per page granted and per
/// element of the table after the grant (`FuelPrices`), initial memory and tables included.
final class MemoryCap: ResourceLimiter {
    private struct State {
        var memoryBytesGranted = 0
        var refused = false
    }

    private let memoryBytesMax: Int
    private let tableElementsMax: Int
    private let prices: FuelPrices
    private let fuel: FuelAccount
    private let state = Mutex(State())

    init(memoryLimitPages: UInt32, tableElementsMax: Int, prices: FuelPrices, fuel: FuelAccount) {
        memoryBytesMax = Int(memoryLimitPages) * 65_536
        self.tableElementsMax = tableElementsMax
        self.prices = prices
        self.fuel = fuel
    }

    var didRefuse: Bool { state.withLock { $0.refused } }

    /// Every request pays `grow` (a refused one too: refusals in a loop are work); the pages a
    /// grant adds pay `memoryPage` each. A refusal is reported to the module (`memory.grow`
    /// returns -1) and marks the run out of memory; a charge the fuel cannot pay for ends the
    /// run out of fuel.
    /// The one linear memory only grows, so `desired` minus what was granted is the new pages.
    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        try fuel.charge(prices.grow)
        return try state.withLock { state in
            guard desired <= memoryBytesMax else {
                state.refused = true
                return false
            }
            let newPages = UInt64(max(0, desired - state.memoryBytesGranted) / 65_536)
            try fuel.charge(FuelAccount.cost(newPages, at: prices.memoryPage))
            state.memoryBytesGranted = max(state.memoryBytesGranted, desired)
            return true
        }
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        try fuel.charge(prices.grow)
        return try state.withLock { state in
            guard desired <= tableElementsMax else {
                state.refused = true
                return false
            }
            try fuel.charge(FuelAccount.cost(UInt64(desired), at: prices.tableElement))
            return true
        }
    }
}
