import Testing

@testable import PoEExecutor

/// The module rewrite itself: exact output on small modules, every opcode's immediates
/// decoded to the byte, and refusals (never crashes) on what is outside the profile.
@Suite struct NaNCanonicalizerTests {
    static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    static func section(_ id: UInt8, _ content: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [id]
        bytes.appendLEB(UInt64(content.count))
        return bytes + content
    }

    /// One function of type (f64, f64) -> f64 with `body` (locals declarations included).
    static func module(body: [UInt8]) -> [UInt8] {
        let type = section(1, [0x01, 0x60, 0x02, 0x7C, 0x7C, 0x01, 0x7C])
        let function = section(3, [0x01, 0x00])
        var code: [UInt8] = [0x01]
        code.appendLEB(UInt64(body.count))
        return header + type + function + section(10, code + body)
    }

    static func canonicalize(_ module: [UInt8]) throws(ModuleRewriteError) -> [UInt8] {
        try NaNCanonicalizer.canonicalize(module, bytesMax: 1 << 20)
    }

    @Test func aScratchLocalFollowsTheParametersAndDeclaredLocals() throws {
        // (local i32) local.get 0 local.get 1 f64.div end
        let body: [UInt8] = [0x01, 0x01, 0x7F, 0x20, 0x00, 0x20, 0x01, 0xA3, 0x0B]
        // Locals 0 and 1 are the parameters, 2 the declared i32: the f64 scratch local is 3.
        let rewritten: [UInt8] = [0x02, 0x01, 0x7F, 0x01, 0x7C, 0x20, 0x00, 0x20, 0x01, 0xA3]
            + NaNCanonicalizer.sequence(.f64, local: 3) + [0x0B]
        #expect(try Self.canonicalize(Self.module(body: body)) == Self.module(body: rewritten))
    }

    @Test func theSequenceIsTeeConstGetGetEqSelect() {
        #expect(NaNCanonicalizer.sequence(.f64, local: 3) == [
            0x22, 0x03, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x7F, 0x20, 0x03, 0x20, 0x03, 0x61, 0x1B,
        ])
        #expect(NaNCanonicalizer.sequence(.f32, local: 200) == [
            0x22, 0xC8, 0x01, 0x43, 0x00, 0x00, 0xC0, 0x7F, 0x20, 0xC8, 0x01, 0x20, 0xC8, 0x01, 0x5B, 0x1B,
        ])
    }

    @Test func aConsumerThatIgnoresNaNBitsTakesTheValueAsItIs() throws {
        // local.get 0 f64.sqrt f64.sqrt f64.neg end: the first sqrt feeds the second (no
        // sequence); the second feeds neg, which keeps a NaN's bits (sequence).
        let body: [UInt8] = [0x00, 0x20, 0x00, 0x9F, 0x9F, 0x9A, 0x0B]
        let rewritten: [UInt8] = [0x01, 0x01, 0x7C, 0x20, 0x00, 0x9F, 0x9F]
            + NaNCanonicalizer.sequence(.f64, local: 2) + [0x9A, 0x0B]
        #expect(try Self.canonicalize(Self.module(body: body)) == Self.module(body: rewritten))
    }

    @Test func bothFloatTypesChainWithoutSequencesUntilABitKeepingUse() throws {
        // f64.const 1 local.get 0 f32.demote_f64 f64.promote_f32 f64.lt drop local.get 1
        // f32.demote_f64 drop end: demote feeds promote, promote feeds the comparison (no
        // sequences); the second demote feeds drop (a sequence). Only f32 needs a local: 2.
        let body: [UInt8] = [0x00, 0x44, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x20, 0x00, 0xB6, 0xBB, 0x63, 0x1A,
                             0x20, 0x01, 0xB6, 0x1A, 0x0B]
        let rewritten: [UInt8] = [0x01, 0x01, 0x7D] + body[1..<19] + NaNCanonicalizer.sequence(.f32, local: 2) + [0x1A, 0x0B]
        #expect(try Self.canonicalize(Self.module(body: body)) == Self.module(body: rewritten))
    }

    @Test func aModuleWithoutFloatArithmeticIsUnchanged() throws {
        let body: [UInt8] = [0x00, 0x20, 0x00, 0x20, 0x01, 0x98, 0x0B]  // f64.copysign: a bit operation
        #expect(try Self.canonicalize(Self.module(body: body)) == Self.module(body: body))
        let noCode = Self.header + Self.section(0, [0x04] + Array("name".utf8))
        #expect(try Self.canonicalize(noCode) == noCode)
    }

    /// Each instruction decodes to exactly its bytes. Immediates hold 0x9F (f64.sqrt) where
    /// they can, so a decoder that stopped short would see an instruction that is not there.
    @Test(arguments: [
        ([0x02, 0x40], nil, nil),  // block (empty)
        ([0x03, 0x7C], nil, nil),  // loop (result f64)
        ([0x04, 0x9F, 0x01], nil, nil),  // if (type 159)
        ([0x0C, 0x9F, 0x01], nil, nil),  // br 159
        ([0x0E, 0x02, 0x9F, 0x01, 0x00, 0x9F, 0x00], nil, nil),  // br_table [159 0] 31
        ([0x11, 0x9F, 0x01, 0x00], nil, nil),  // call_indirect type 159 table 0
        ([0x1C, 0x01, 0x7C], nil, nil),  // select (result f64)
        ([0x1F, 0x40, 0x02, 0x00, 0x9F, 0x01, 0x00, 0x03, 0x00], nil, nil),  // try_table catch tag 159 0, catch_all_ref 0
        ([0x2B, 0x03, 0x9F, 0x9F, 0x9F, 0x9F, 0x0F], nil, nil),  // f64.load align 3, a 5-byte offset
        ([0x39, 0x03, 0x9F, 0x01], nil, nil),  // f64.store offset 159
        ([0x40, 0x00], nil, nil),  // memory.grow
        ([0x41, 0x9F, 0x7F], nil, nil),  // i32.const -97
        ([0x42, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x7F], nil, nil),  // i64.const, 10 bytes
        ([0x43, 0x9F, 0x9F, 0x9F, 0x9F], nil, nil),  // f32.const
        ([0x44, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F, 0x9F], nil, nil),  // f64.const
        ([0xD0, 0x70], nil, nil),  // ref.null func
        ([0xD2, 0x9F, 0x01], nil, nil),  // ref.func 159
        ([0xFC, 0x02], nil, .f64),  // i32.trunc_sat_f64_s
        ([0xFC, 0x09, 0x9F, 0x01], nil, nil),  // data.drop 159
        ([0xFC, 0x0F, 0x9F, 0x01], nil, nil),  // table.grow 159
        ([0xFC, 0x10, 0x00], nil, nil),  // table.size 0
        ([0xA0], .f64, .f64),  // f64.add
        ([0x96], .f32, .f32),  // f32.min
        ([0xB6], .f32, .f64),  // f32.demote_f64
        ([0xBB], .f64, .f32),  // f64.promote_f32
        ([0x5E], nil, .f32),  // f32.gt
        ([0xB1], nil, .f64),  // i64.trunc_f64_u
        ([0x8C], nil, nil),  // f32.neg: bit-exact
        ([0xBD], nil, nil),  // i64.reinterpret_f64
        ([0xB9], nil, nil),  // f64.convert_i64_s: never NaN
    ] as [([UInt8], NaNCanonicalizer.FloatType?, NaNCanonicalizer.FloatType?)])
    func instructionDecodesToItsLastByte(
        bytes: [UInt8], produces: NaNCanonicalizer.FloatType?, ignores: NaNCanonicalizer.FloatType?
    ) throws {
        var reader = WasmCodeReader(bytes)
        let effect = try NaNCanonicalizer.instruction(&reader)
        #expect(reader.isAtEnd, "stopped at byte \(reader.offset) of \(bytes.count)")
        #expect(effect == NaNCanonicalizer.Effect(mayProduceNaN: produces, ignoresNaNBits: ignores))
    }

    /// Outside the profile, or not a well-formed instruction: refused, never misread.
    @Test(arguments: [
        [0xFD, 0x0C],  // v128.const (SIMD)
        [0xFE, 0x00],  // memory.atomic.notify (threads)
        [0xFB, 0x00],  // struct.new (GC)
        [0x12, 0x00],  // return_call (tail calls)
        [0x14, 0x00],  // call_ref (function references)
        [0x06, 0x40],  // legacy try
        [0xFC, 0x08, 0x00, 0x00],  // memory.init: bulk copies are outside the profile
        [0xFC, 0x0A, 0x00, 0x00],  // memory.copy
        [0xFC, 0x0B, 0x00],  // memory.fill
        [0xFC, 0x0C, 0x00, 0x00],  // table.init
        [0xFC, 0x0E, 0x00, 0x00],  // table.copy
        [0xFC, 0x11, 0x00],  // table.fill
        [0xFC, 0x12],  // after table.fill: not an instruction
        [0xFC, 0x80, 0x00],  // a sub-opcode as a padded LEB128: WasmKit reads one byte
        [0x02, 0x7B],  // block (result v128)
        [0x02, 0x63, 0x70],  // block (result (ref null func)): typed references
        [0x1C, 0x02, 0x7F, 0x7F],  // select with two types
        [0x28, 0x42, 0x00, 0x00],  // i32.load with a memory index (multiple memories)
        [0x3F, 0x01],  // memory.size of memory 1
        [0x20, 0x80, 0x80, 0x80, 0x80, 0x10],  // local.get index over 32 bits
        [0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],  // a u32 LEB128 of 6 bytes
        [0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x4F],  // i32.const whose unused bits disagree with its sign
        [0x44, 0x00, 0x00],  // f64.const cut short
        [0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],  // br_table of 2^32 - 1 labels in 6 bytes
        [0xD0, 0x00],  // ref.null of a type index
    ] as [[UInt8]])
    func instructionOutsideTheProfileIsRefused(bytes: [UInt8]) {
        var reader = WasmCodeReader(bytes)
        #expect(throws: ModuleRewriteError.self) { try NaNCanonicalizer.instruction(&reader) }
    }

    @Test func malformedModulesAreRefused() {
        let body: [UInt8] = [0x00, 0x20, 0x00, 0x9F, 0x0B]
        let good = Self.module(body: body)
        let cases: [[UInt8]] = [
            Array("definitely not wasm".utf8),
            [0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00],  // a component, not a core module
            Array(good.dropLast()),  // the last section cut short
            Self.header + Self.section(3, [0x01, 0x00]) + Self.section(10, [0x01, 0x05] + body),  // no type section
            Self.header + Self.section(1, [0x01, 0x60, 0x00, 0x00]) + Self.section(3, [0x01, 0x00]),  // no code
            Self.header + Self.section(1, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),  // 2^32 - 1 types
            Self.header + Self.section(1, [0x01, 0x5E, 0x00]),  // an array type (GC)
            Self.module(body: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B]),  // 2^32 - 1 local groups
            Self.module(body: [0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7C, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7C, 0x0B]),  // 2^33 locals
            Self.module(body: [0x01, 0x01, 0x7B, 0x0B]),  // a v128 local
            good + Self.section(10, [0x00]),  // a second code section
        ]
        for module in cases {
            #expect(throws: ModuleRewriteError.self, "\(module)") { try Self.canonicalize(module) }
        }
    }

    @Test func aModuleThatWouldGrowPastTheBoundIsTooLarge() throws {
        // 1,000 f64.sqrt in a row, the last one followed by drop: one sequence (17 bytes) and
        // one local group (2 bytes, and the group count goes from 0 to 1).
        let body: [UInt8] = [0x00, 0x20, 0x00] + [UInt8](repeating: 0x9F, count: 1_000) + [0x1A, 0x0B]
        let module = Self.module(body: body)
        let rewritten = try NaNCanonicalizer.canonicalize(module, bytesMax: module.count + 19)
        #expect(rewritten.count == module.count + 19)
        #expect(Self.isTooLarge { () throws(ModuleRewriteError) in
            try NaNCanonicalizer.canonicalize(module, bytesMax: module.count + 18)
        })
        #expect(throws: ModuleRewriteError.tooLarge(byteCount: module.count, max: 100)) {
            try NaNCanonicalizer.canonicalize(module, bytesMax: 100)
        }
    }

    static func isTooLarge(_ body: () throws(ModuleRewriteError) -> [UInt8]) -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            if case .tooLarge = error { return true }
            return false
        }
    }

    /// Every prefix of a real module, and a few thousand single-byte corruptions of it: each
    /// is refused or rewritten, and nothing traps in the rewriter.
    @Test func damagedModulesNeverCrashTheRewriter() throws {
        let nbody = try JobFixtures.bytes("nbody.wasm")
        var refused = 0
        for length in stride(from: 0, to: nbody.count, by: 7) {
            if (try? Self.canonicalize(Array(nbody[0..<length]))) == nil { refused += 1 }
        }
        #expect(refused > 0)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // splitmix64: the same corruptions every run
        for _ in 0..<3_000 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            var damaged = nbody
            damaged[Int(z % UInt64(nbody.count))] = UInt8(truncatingIfNeeded: z >> 32)
            _ = try? Self.canonicalize(damaged)
        }
    }

    @Test func simdIsAnInvalidModuleNotARun() {
        // () -> () { v128.const 0 drop }
        let body: [UInt8] = [0x00, 0xFD, 0x0C] + [UInt8](repeating: 0, count: 16) + [0x1A, 0x0B]
        var code: [UInt8] = [0x01]
        code.appendLEB(UInt64(body.count))
        let module = Self.header + Self.section(1, [0x01, 0x60, 0x00, 0x00]) + Self.section(3, [0x01, 0x00])
            + Self.section(7, [0x01, 0x06] + Array("_start".utf8) + [0x00, 0x00]) + Self.section(10, code + body)
        let result = Executor.run(JobFixtures.job(code: module, input: []), code: module, input: [])
        #expect(result.outcome == .invalidModule(.malformed))
        #expect(result.fuelUsed == 0)
    }
}
