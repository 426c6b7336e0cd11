import Synchronization
import WASI
import WasmKit
import WasmKitWASI

/// Counts the bytes a job moves through its stdio, so host calls can be charged fuel.
final class ByteMeter: Sendable {
    private let total = Atomic<UInt64>(0)

    var bytes: UInt64 { total.load(ordering: .relaxed) }
    func add(_ count: Int) { total.add(UInt64(count), ordering: .relaxed) }
}

/// Thrown by a host call that the remaining fuel cannot pay for.
struct HostCallOutOfFuel: Error {}

/// Links the job's WASI functions, charging fuel for each host call.
///
/// WasmKit's fuel counts WebAssembly instructions; a host call is one `call`. Without a
/// charge here, a job could loop on `random_get` or `fd_write` with large buffers and run
/// for a long time on little fuel. Each call costs `perCall`, and every
/// `bytesPerFuel` bytes it moves (stdio, random bytes) cost one more unit.
enum MeteredHost {
    static let perCallFuel: UInt64 = 64
    static let bytesPerFuel: UInt64 = 16

    /// Polling (the only way to sleep) and sockets are left out: their imports are
    /// ENOSYS stubs, so a module that names them still instantiates.
    static let capabilities: [WasmKitWASI.WASICapability] = [.environment, .clocks, .random, .process, .stdio, .fileSystem]

    static func link(_ wasi: WASIBridgeToHost, into imports: inout Imports, store: Store, meter: ByteMeter) {
        let functions: [String: WASIHostFunction<Memory>] = wasi.hostFunctions(
            capabilities: capabilities, stubUnlinked: true)
        for (name, function) in functions {
            let requestedBytes = name == "random_get" ? randomBytesRequested : { _ in 0 }
            let body: Function.Implementation = { caller, arguments in
                try charge(caller.store, perCallFuel + requestedBytes(arguments) / bytesPerFuel)
                guard case .memory(let memory) = caller.instance?.export("memory") else {
                    throw WASIError(description: "Missing required \"memory\" export")
                }
                let before = meter.bytes
                let results = try function.implementation(memory, arguments)
                try charge(caller.store, (meter.bytes - before) / bytesPerFuel)
                return results
            }
            imports.define(
                module: "wasi_snapshot_preview1", name: name,
                Function(store: store, type: function.type, body: body))
        }
    }

    /// `random_get(buf, len)`: charged before the bytes are made.
    private static func randomBytesRequested(_ arguments: [Value]) -> UInt64 {
        guard arguments.count == 2, case .i32(let length) = arguments[1] else { return 0 }
        return UInt64(length)
    }

    /// Takes `cost` from the store's fuel. Like WasmKit's own charge, all or nothing: a
    /// charge the budget cannot cover leaves it untouched and ends the run.
    private static func charge(_ store: Store, _ cost: UInt64) throws {
        guard var fuel = store.fuel else { return }
        guard fuel.remaining >= cost else { throw HostCallOutOfFuel() }
        fuel.remaining -= cost
        store.fuel = fuel
    }
}
