import PoECrypto
import Testing
import WASI
import WasmKit
import WasmKitWASI

@testable import PoEExecutor

@Suite struct ExecutionProfileTests {
    /// The profile with one parameter replaced, through the memberwise initializer, so that
    /// a field added to the profile but not to its encoding shows up here.
    static func variant(
        _ p: ExecutionProfile = .current, name: String? = nil, engine: String? = nil, features: [String]? = nil,
        nanRule: String? = nil, stackBytes: Int? = nil, moduleBytesMax: Int? = nil, memoryPagesMax: UInt32? = nil,
        outputBytesMax: UInt32? = nil, logBytesMax: UInt32? = nil, tableElementsMax: Int? = nil,
        fuel: FuelPrices? = nil, host: HostInterface? = nil, resultDigestVersion: UInt8? = nil
    ) -> ExecutionProfile {
        ExecutionProfile(
            name: name ?? p.name, engine: engine ?? p.engine, features: features ?? p.features,
            nanRule: nanRule ?? p.nanRule, stackBytes: stackBytes ?? p.stackBytes,
            moduleBytesMax: moduleBytesMax ?? p.moduleBytesMax, memoryPagesMax: memoryPagesMax ?? p.memoryPagesMax,
            outputBytesMax: outputBytesMax ?? p.outputBytesMax, logBytesMax: logBytesMax ?? p.logBytesMax,
            tableElementsMax: tableElementsMax ?? p.tableElementsMax, fuel: fuel ?? p.fuel, host: host ?? p.host,
            resultDigestVersion: resultDigestVersion ?? p.resultDigestVersion)
    }

    static func prices(_ f: FuelPrices, bump index: Int) -> FuelPrices {
        var values = [f.instruction, f.bulkBytesPerFuel, f.hostCall, f.inputByte, f.outputByte, f.pathByte,
                      f.randomByte, f.iovec, f.grow, f.memoryPage, f.tableElement]
        values[index] += 1
        return FuelPrices(
            instruction: values[0], bulkBytesPerFuel: values[1], hostCall: values[2], inputByte: values[3],
            outputByte: values[4], pathByte: values[5], randomByte: values[6], iovec: values[7], grow: values[8],
            memoryPage: values[9], tableElement: values[10])
    }

    static func host(_ h: HostInterface, change index: Int) -> HostInterface {
        HostInterface(
            arguments: index == 0 ? h.arguments + ["x"] : h.arguments,
            environment: index == 1 ? ["A=1"] : h.environment,
            wallClockSeconds: h.wallClockSeconds + (index == 2 ? 1 : 0),
            monotonicNanoseconds: h.monotonicNanoseconds + (index == 3 ? 1 : 0),
            randomDomain: index == 4 ? "poe.job.random.v2" : h.randomDomain,
            stubbedFunctions: index == 5 ? h.stubbedFunctions.dropLast() : h.stubbedFunctions)
    }

    @Test func everyParameterChangesTheFingerprint() {
        let p = ExecutionProfile.current
        #expect(Self.variant() == p)
        #expect(Self.variant().fingerprint == p.fingerprint)
        var variants: [ExecutionProfile] = [
            Self.variant(name: "poe-wasm/3"), Self.variant(engine: "WasmKit 0.4.3"),
            Self.variant(features: p.features.dropLast()), Self.variant(nanRule: "host"),
            Self.variant(stackBytes: p.stackBytes * 2), Self.variant(moduleBytesMax: p.moduleBytesMax + 1),
            Self.variant(memoryPagesMax: p.memoryPagesMax - 1), Self.variant(outputBytesMax: p.outputBytesMax - 1),
            Self.variant(logBytesMax: p.logBytesMax - 1), Self.variant(tableElementsMax: p.tableElementsMax + 1),
            Self.variant(resultDigestVersion: p.resultDigestVersion + 1),
        ]
        variants += (0..<11).map { Self.variant(fuel: Self.prices(p.fuel, bump: $0)) }
        variants += (0..<6).map { Self.variant(host: Self.host(p.host, change: $0)) }
        let fingerprints = Set(variants.map(\.fingerprint) + [p.fingerprint])
        #expect(fingerprints.count == variants.count + 1)
    }

    @Test func aProfileIsFoundByNameOrRefusedWithATypedError() throws {
        #expect(try Executor.profile(named: "poe-wasm/2") == .current)
        #expect(Executor.supportedProfiles.contains(.current))
        #expect(throws: UnsupportedProfile(name: "poe-wasm/1", supported: ["poe-wasm/2"])) {
            try Executor.profile(named: "poe-wasm/1")
        }
    }

    @Test func theResultCommitsToTheProfile() throws {
        let result = try JobFixtures.run("trap.wasm")
        #expect(result.profile == ExecutionProfile.current.fingerprint)
    }

    /// The profile names the functions linked as ENOSYS stubs; WasmKit decides which they
    /// are from the capabilities the executor links. The two must agree.
    @Test func theStubbedFunctionsAreThoseNoCapabilityProvides() throws {
        let (linked, all) = try WASIBridgeToHost().runAndClose { wasi in
            let linked: [String: WASIHostFunction<Memory>] = wasi.hostFunctions(
                capabilities: MeteredHost.capabilities, stubUnlinked: false)
            let all: [String: WASIHostFunction<Memory>] = wasi.hostFunctions(
                capabilities: MeteredHost.capabilities, stubUnlinked: true)
            return (linked, all)
        }
        let stubs = Set(all.keys).subtracting(linked.keys)
        #expect(stubs == Set(ExecutionProfile.current.host.stubbedFunctions))
        // Every function priced by its arguments has an implementation that reads them.
        #expect(Set(MeteredHost.sizedArguments.keys).isSubset(of: Set(linked.keys)))
    }

    @Test func sizedArgumentsArePricedAndSaturate() {
        let prices = ExecutionProfile.current.fuel
        let sized = MeteredHost.sizedArguments["path_link"] ?? []
        // path_link(old_fd, flags, old_path, old_len, new_fd, new_path, new_len)
        let arguments: [Value] = [.i32(3), .i32(0), .i32(0), .i32(10), .i32(3), .i32(0), .i32(5)]
        #expect(MeteredHost.price(of: arguments, sized: sized, prices: prices) == prices.hostCall + 15 * prices.pathByte)
        #expect(FuelAccount.cost(.max, at: 2) == .max)
    }
}
