import Synchronization
import WASI
import WasmKit
import WasmKitWASI

/// Counts the bytes a job moves through one direction of its stdio (stdin, or stdout and
/// stderr together), so host calls can be charged fuel for them.
final class ByteMeter: Sendable {
    private let total = Atomic<UInt64>(0)

    var bytes: UInt64 { total.load(ordering: .relaxed) }
    func add(_ count: Int) { total.add(UInt64(count), ordering: .relaxed) }
}

/// Thrown by a host call, or a memory or table grant, that the remaining fuel cannot pay for.
struct HostCallOutOfFuel: Error {}

/// Takes fuel from a run's store for work WasmKit does not meter: host calls, memory and
/// table grants.
///
/// `@unchecked Sendable` because WasmKit's `ResourceLimiter` must be `Sendable` and `Store`
/// is not: the store is only touched from the thread running the job (WasmKit calls host
/// functions and the limiter on that thread), and it outlives the run that owns this.
final class FuelAccount: @unchecked Sendable {
    private unowned let store: Store

    init(store: Store) { self.store = store }

    /// Takes `cost`. Like WasmKit's own charge, all or nothing: a charge the budget cannot
    /// cover leaves it untouched and ends the run (`outOfFuel`).
    func charge(_ cost: UInt64) throws {
        guard var fuel = store.fuel else { return }
        guard fuel.remaining >= cost else { throw HostCallOutOfFuel() }
        fuel.remaining -= cost
        store.fuel = fuel
    }

    /// `count` units at `price` each, saturating: a count too large to price costs all the fuel there is.
    static func cost(_ count: UInt64, at price: UInt64) -> UInt64 {
        let (product, overflow) = count.multipliedReportingOverflow(by: price)
        return overflow ? .max : product
    }
}

/// Links the job's WASI functions, charging fuel for each host call.
///
/// WasmKit's fuel counts WebAssembly instructions; a host call is one `call`. Without a
/// charge here, a job could loop on `random_get` or `fd_write` and run far longer per unit
/// of fuel than plain instructions. Every call pays `hostCall` before it runs, plus, for
/// each argument that sizes the host's work, its count times its price (`sizedArguments`);
/// after an `fd_read`/`fd_write`, the bytes it read pay `inputByte` and those it wrote
/// `outputByte` each.
enum MeteredHost {
    /// Polling (the only way to sleep) and sockets are left out: WasmKit links their imports
    /// as ENOSYS stubs (and `proc_raise`, which no capability provides), so a module that
    /// names them still instantiates.
    static let capabilities: [WasmKitWASI.WASICapability] = [.environment, .clocks, .random, .process, .stdio, .fileSystem]

    /// An argument that sizes a call's host work: its index, and which price it pays.
    enum SizedArgument: Equatable {
        /// A byte count the host reads or fills in the job's memory (a path, a buffer).
        case bytes(Int)
        /// The length of a `random_get`.
        case randomBytes(Int)
        /// A count of buffer descriptors the host walks.
        case iovecs(Int)
    }

    /// The sized arguments of each implemented function (stubs touch nothing). Paths are
    /// read and scanned in full before anything else is checked, so a path costs its
    /// length even when the call then fails for want of a directory.
    static let sizedArguments: [String: [SizedArgument]] = [
        "random_get": [.randomBytes(1)],
        "fd_read": [.iovecs(2)], "fd_write": [.iovecs(2)], "fd_pread": [.iovecs(2)], "fd_pwrite": [.iovecs(2)],
        "fd_readdir": [.bytes(2)], "fd_prestat_dir_name": [.bytes(2)],
        "path_create_directory": [.bytes(2)], "path_filestat_get": [.bytes(3)],
        "path_filestat_set_times": [.bytes(3)], "path_link": [.bytes(3), .bytes(6)], "path_open": [.bytes(3)],
        "path_readlink": [.bytes(2), .bytes(4)], "path_remove_directory": [.bytes(2)],
        "path_rename": [.bytes(2), .bytes(5)], "path_symlink": [.bytes(1), .bytes(4)],
        "path_unlink_file": [.bytes(2)],
    ]

    static func link(
        _ wasi: WASIBridgeToHost, into imports: inout Imports, store: Store, prices: FuelPrices, fuel: FuelAccount,
        input: ByteMeter, output: ByteMeter
    ) {
        let functions: [String: WASIHostFunction<Memory>] = wasi.hostFunctions(
            capabilities: capabilities, stubUnlinked: true)
        for (name, function) in functions {
            let sized = sizedArguments[name] ?? []
            let implementation = name == "sched_yield" ? yieldWithoutTheHost : function.implementation
            let body: Function.Implementation = { caller, arguments in
                try fuel.charge(price(of: arguments, sized: sized, prices: prices))
                guard case .memory(let memory) = caller.instance?.export("memory") else {
                    throw WASIError(description: "Missing required \"memory\" export")
                }
                let (inputBefore, outputBefore) = (input.bytes, output.bytes)
                let results = try implementation(memory, arguments)
                let (read, written) = (input.bytes - inputBefore, output.bytes - outputBefore)
                try fuel.charge(FuelAccount.cost(read, at: prices.inputByte))
                try fuel.charge(FuelAccount.cost(written, at: prices.outputByte))
                return results
            }
            imports.define(
                module: "wasi_snapshot_preview1", name: name,
                Function(store: store, type: function.type, body: body))
        }
    }

    /// What a call costs before it runs: `hostCall`, and each sized argument at its price.
    static func price(of arguments: [Value], sized: [SizedArgument], prices: FuelPrices) -> UInt64 {
        var total = prices.hostCall
        for argument in sized {
            let (index, price) =
                switch argument {
                case .bytes(let index): (index, prices.pathByte)
                case .randomBytes(let index): (index, prices.randomByte)
                case .iovecs(let index): (index, prices.iovec)
                }
            guard index < arguments.count, case .i32(let count) = arguments[index] else { continue }
            let (sum, overflow) = total.addingReportingOverflow(FuelAccount.cost(UInt64(count), at: price))
            total = overflow ? .max : sum
        }
        return total
    }

    /// `sched_yield` answers success without asking the operating system: WASI's version
    /// yields the host thread, whose wall time depends on what else the validator runs. The
    /// job cannot tell the difference; nothing else runs in its instance.
    private static let yieldWithoutTheHost: @Sendable (Memory, [Value]) throws -> [Value] = { _, _ in
        [.i32(0)]  // errno 0, success
    }
}
