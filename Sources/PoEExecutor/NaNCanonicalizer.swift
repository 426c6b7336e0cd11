/// Rewrites a module so that every floating-point NaN it computes is the canonical NaN
/// (positive, quiet, zero payload: f32 `0x7FC00000`, f64 `0x7FF8000000000000`), which is
/// what WebAssembly's deterministic profile specifies.
///
/// Why a rewrite: the spec lets an arithmetic NaN carry any sign and payload, and WasmKit
/// computes with the host's instructions, so `0.0 / 0.0` is `0xFFF8000000000000` on x86 and
/// `0x7FF8000000000000` on ARM. A job that stores or prints those bits would get a different
/// digest on each. WasmKit is pinned and has no such option, so the module is changed before
/// it is parsed: after every instruction whose NaN result the spec leaves open, a branch-free
/// sequence replaces a NaN by the canonical one, using one scratch local per float type
/// appended to the function's locals:
///
///     local.tee $t  f64.const nan  local.get $t  local.get $t  f64.eq  select
///
/// Branches name label depths, not byte offsets, so inserting instructions moves no target;
/// only the function bodies' sizes, their local declarations and the code section's size
/// are re-encoded. Every other section is copied byte for byte.
///
/// The instructions that need it (spec, "NaN propagation"): f32/f64 `add sub mul div sqrt
/// min max ceil floor trunc nearest`, `f32.demote_f64` and `f64.promote_f32`. The rest are
/// exact on NaN bits and left alone: `abs neg copysign` (bit operations), loads, stores,
/// `reinterpret`, constants, `select`, locals, globals, conversions from integers (never
/// NaN).
///
/// One peephole: the sequence is left out when the very next instruction ignores the NaN's
/// bits — another instruction from the list above (its result is canonicalized in turn, and
/// its non-NaN results never depend on an input NaN's bits), a comparison, or a
/// float-to-integer truncation (traps, or 0 for `trunc_sat`, whatever the NaN). The next
/// instruction always consumes the value just produced: it is on top of the stack.
///
/// Bounded: counts are checked against the bytes left before anything is allocated for them,
/// and the rewritten size is computed before it is written and refused over `bytesMax`.
enum NaNCanonicalizer {
    enum FloatType: Equatable {
        case f32, f64
    }

    /// Returns the rewritten module, or throws when the bytes are not a module of the profile's
    /// instruction set or would grow past `bytesMax`.
    static func canonicalize(_ module: [UInt8], bytesMax: Int) throws(ModuleRewriteError) -> [UInt8] {
        guard module.count <= bytesMax else { throw .tooLarge(byteCount: module.count, max: bytesMax) }
        var reader = WasmCodeReader(module)
        try readHeader(&reader)
        var output = Array(module[0..<8])
        var paramCounts: [UInt32]? = nil
        var functionTypes: [UInt32]? = nil
        var sawCode = false
        while !reader.isAtEnd {
            let sectionStart = reader.offset
            let id = try reader.byte()
            let size = Int(try reader.u32())
            let contentStart = reader.offset
            try reader.skip(size)
            var content = WasmCodeReader(module, from: contentStart, to: contentStart + size)
            switch id {
            case 1:
                guard paramCounts == nil else { throw .malformed("second type section") }
                paramCounts = try readTypeSection(&content)
            case 3:
                guard functionTypes == nil else { throw .malformed("second function section") }
                functionTypes = try readFunctionSection(&content)
            case 10:
                guard !sawCode else { throw .malformed("second code section") }
                sawCode = true
                let locals = try functionParamCounts(types: paramCounts ?? [], functions: functionTypes ?? [])
                let budget = bytesMax - output.count - (module.count - reader.offset)
                let code = try rewriteCodeSection(&content, paramCounts: locals, bytesMax: budget)
                output.append(10)
                output.appendLEB(UInt64(code.count))
                output.append(contentsOf: code)
                continue
            default:
                break
            }
            output.append(contentsOf: module[sectionStart..<reader.offset])
        }
        if !sawCode, let functionTypes, !functionTypes.isEmpty {
            throw .malformed("\(functionTypes.count) functions declared but no code section")
        }
        guard output.count <= bytesMax else { throw .tooLarge(byteCount: output.count, max: bytesMax) }
        return output
    }

    private static func readHeader(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) {
        let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        for expected in header {
            guard try reader.byte() == expected else { throw .malformed("not a WebAssembly 1 module header") }
        }
    }

    /// The number of parameters of each function type (all the rewrite needs: the scratch
    /// locals are numbered after the parameters and the declared locals).
    private static func readTypeSection(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) -> [UInt32] {
        let count = Int(try reader.u32())
        // A function type takes at least 3 bytes: 0x60 and two empty vectors.
        guard count <= reader.remaining / 3 else { throw .malformed("type count \(count) over the section's size") }
        var paramCounts: [UInt32] = []
        paramCounts.reserveCapacity(count)
        for _ in 0..<count {
            // Only plain function types: GC's recursive and sub types are outside the profile.
            guard try reader.byte() == 0x60 else { throw .malformed("type that is not a function type") }
            let params = try reader.u32()
            guard Int(params) <= reader.remaining else { throw .malformed("parameter count over the section's size") }
            for _ in 0..<params { _ = try reader.valueType() }
            let results = try reader.u32()
            guard Int(results) <= reader.remaining else { throw .malformed("result count over the section's size") }
            for _ in 0..<results { _ = try reader.valueType() }
            paramCounts.append(params)
        }
        guard reader.isAtEnd else { throw .malformed("bytes after the type section's entries") }
        return paramCounts
    }

    private static func readFunctionSection(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) -> [UInt32] {
        let count = Int(try reader.u32())
        guard count <= reader.remaining else { throw .malformed("function count \(count) over the section's size") }
        var types: [UInt32] = []
        types.reserveCapacity(count)
        for _ in 0..<count { types.append(try reader.u32()) }
        guard reader.isAtEnd else { throw .malformed("bytes after the function section's entries") }
        return types
    }

    private static func functionParamCounts(
        types: [UInt32], functions: [UInt32]
    ) throws(ModuleRewriteError) -> [UInt32] {
        var counts: [UInt32] = []
        counts.reserveCapacity(functions.count)
        for typeIndex in functions {
            guard Int(typeIndex) < types.count else { throw .malformed("function of undefined type \(typeIndex)") }
            counts.append(types[Int(typeIndex)])
        }
        return counts
    }

    /// Rewrites every body of the code section; returns the section's new content.
    private static func rewriteCodeSection(
        _ reader: inout WasmCodeReader, paramCounts: [UInt32], bytesMax: Int
    ) throws(ModuleRewriteError) -> [UInt8] {
        let count = Int(try reader.u32())
        guard count == paramCounts.count else {
            throw .malformed("\(count) function bodies for \(paramCounts.count) declared functions")
        }
        var output: [UInt8] = []
        output.appendLEB(UInt64(count))
        for function in 0..<count {
            let size = Int(try reader.u32())
            let bodyStart = reader.offset
            try reader.skip(size)
            var body = WasmCodeReader(reader.bytes, from: bodyStart, to: bodyStart + size)
            try rewriteBody(&body, params: paramCounts[function], into: &output, bytesMax: bytesMax)
        }
        guard reader.isAtEnd else { throw .malformed("bytes after the code section's entries") }
        return output
    }

    /// A point where the canonicalizing sequence goes: before the instruction at `offset`.
    private struct Site {
        var offset: Int
        var type: FloatType
    }

    /// Appends one function body, size-prefixed, with its scratch locals declared and the
    /// canonicalizing sequences inserted.
    private static func rewriteBody(
        _ body: inout WasmCodeReader, params: UInt32, into output: inout [UInt8], bytesMax: Int
    ) throws(ModuleRewriteError) {
        let groupCount = try body.u32()
        let groupsStart = body.offset
        // A group is at least 2 bytes: a count and a type.
        guard Int(groupCount) <= body.remaining / 2 else { throw .malformed("local group count over the body's size") }
        var localCount = UInt64(params)
        for _ in 0..<groupCount {
            localCount += UInt64(try body.u32())
            _ = try body.valueType()
        }
        let declarationsEnd = body.offset
        // Scratch locals take the next indices; the spec caps a function's locals at 2^32 - 1.
        guard localCount + 2 <= UInt64(UInt32.max) else { throw .malformed("too many locals") }

        // First pass: where the sequences go, and so how large the body becomes.
        let sites = try canonicalizationSites(&body, budget: bytesMax - output.count)
        let needsF32 = sites.contains { $0.type == .f32 }
        let needsF64 = sites.contains { $0.type == .f64 }
        let f32Local = localCount
        let f64Local = localCount + (needsF32 ? 1 : 0)
        let f32Sequence = sequence(.f32, local: f32Local)
        let f64Sequence = sequence(.f64, local: f64Local)

        var declarations: [UInt8] = []
        declarations.appendLEB(UInt64(groupCount) + (needsF32 ? 1 : 0) + (needsF64 ? 1 : 0))
        let bytes = body.bytes
        // The groups as they were, then one local of each scratch type.
        declarations.append(contentsOf: bytes[groupsStart..<declarationsEnd])
        if needsF32 { declarations.append(contentsOf: [0x01, 0x7D]) }
        if needsF64 { declarations.append(contentsOf: [0x01, 0x7C]) }

        var size = declarations.count + (body.end - declarationsEnd)
        for site in sites { size += site.type == .f32 ? f32Sequence.count : f64Sequence.count }
        let total = output.count + [UInt8].lebByteCount(UInt64(size)) + size
        guard total <= bytesMax else { throw .tooLarge(byteCount: total, max: bytesMax) }

        // Second pass: copy the instructions with the sequences between them.
        output.appendLEB(UInt64(size))
        output.append(contentsOf: declarations)
        var copied = declarationsEnd
        for site in sites {
            output.append(contentsOf: bytes[copied..<site.offset])
            output.append(contentsOf: site.type == .f32 ? f32Sequence : f64Sequence)
            copied = site.offset
        }
        output.append(contentsOf: bytes[copied..<body.end])
    }

    /// The canonicalizing sequence for one float type, with the scratch local `local`.
    static func sequence(_ type: FloatType, local: UInt64) -> [UInt8] {
        var bytes: [UInt8] = [0x22]  // local.tee
        bytes.appendLEB(local)
        switch type {
        case .f32: bytes += [0x43, 0x00, 0x00, 0xC0, 0x7F]  // f32.const 0x7FC00000 (little-endian)
        case .f64: bytes += [0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x7F]  // f64.const 0x7FF8000000000000
        }
        bytes.append(0x20)  // local.get
        bytes.appendLEB(local)
        bytes.append(0x20)  // local.get
        bytes.appendLEB(local)
        bytes.append(type == .f32 ? 0x5B : 0x61)  // f32.eq / f64.eq: false only for a NaN
        bytes.append(0x1B)  // select: the value if it equals itself, else the constant
        return bytes
    }

    /// The shortest sequence (a one-byte local index): the bound used before indices are known.
    private static let sequenceBytesMin = 13

    /// Decodes a body's instructions and returns where sequences go, in order. Throws when a
    /// body would grow past `budget` bytes, so the list stays bounded too.
    private static func canonicalizationSites(
        _ body: inout WasmCodeReader, budget: Int
    ) throws(ModuleRewriteError) -> [Site] {
        var sites: [Site] = []
        var pending: FloatType? = nil
        var grownMin = body.end - body.offset
        while !body.isAtEnd {
            let start = body.offset
            let effect = try instruction(&body)
            if let type = pending, effect.ignoresNaNBits != type {
                sites.append(Site(offset: start, type: type))
                grownMin += sequenceBytesMin
                guard grownMin <= budget else { throw .tooLarge(byteCount: grownMin, max: budget) }
            }
            pending = effect.mayProduceNaN
        }
        // A body ends with `end`, which flushed any pending sequence; one that ends otherwise
        // is refused by WasmKit's parser, so nothing more goes in.
        return sites
    }

    /// What one instruction means for NaN bits.
    struct Effect: Equatable {
        /// The spec leaves the bits of a NaN result open: canonicalize after it.
        var mayProduceNaN: FloatType? = nil
        /// Consumes a value of this type (the top of the stack) without looking at a NaN's bits.
        var ignoresNaNBits: FloatType? = nil
    }

    /// Decodes one instruction, opcode and immediates, as the binary format and the profile's
    /// features define them, and says what it does with NaN bits. Opcodes of features the
    /// profile leaves out are refused: SIMD (0xFD), threads (0xFE), GC (0xFB), tail calls
    /// (0x12, 0x13), typed function references (0x14, 0x15, 0xD3–0xD6), and the legacy
    /// exception-handling instructions WasmKit does not decode (0x06, 0x07, 0x09, 0x18, 0x19),
    /// and the bulk memory and table copies (`prefixedFC`).
    static func instruction(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) -> Effect {
        let at = reader.offset
        let opcode = try reader.byte()
        switch opcode {
        case 0x00, 0x01, 0x05, 0x0A, 0x0B, 0x0F, 0x1A, 0x1B:
            // unreachable nop else throw_ref end return drop select
            return Effect()
        case 0x02, 0x03, 0x04:  // block loop if
            try blockType(&reader)
        case 0x08, 0x0C, 0x0D, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2:
            // throw br br_if call local.get/set/tee global.get/set table.get/set ref.func
            _ = try reader.u32()
        case 0x0E:  // br_table
            let count = try reader.u32()
            guard Int(count) < reader.remaining else { throw .malformed("br_table count over the body's size") }
            for _ in 0...count { _ = try reader.u32() }
        case 0x11:  // call_indirect type table
            _ = try reader.u32()
            _ = try reader.u32()
        case 0x1C:  // select t*
            guard try reader.u32() == 1 else { throw .malformed("typed select without exactly one type at byte \(at)") }
            _ = try reader.valueType()
        case 0x1F:  // try_table
            try blockType(&reader)
            let count = try reader.u32()
            guard Int(count) <= reader.remaining / 2 else { throw .malformed("catch count over the body's size") }
            for _ in 0..<count {
                switch try reader.byte() {
                case 0x00, 0x01:  // catch / catch_ref: tag, label
                    _ = try reader.u32()
                    _ = try reader.u32()
                case 0x02, 0x03:  // catch_all / catch_all_ref: label
                    _ = try reader.u32()
                default:
                    throw .malformed("catch clause kind at byte \(at)")
                }
            }
        case 0x28...0x3E:  // loads and stores
            try memoryArgument(&reader, at: at)
        case 0x3F, 0x40:  // memory.size memory.grow
            try zeroMemoryIndex(&reader)
        case 0x41:
            _ = try reader.signed(bitWidth: 32)
        case 0x42:
            _ = try reader.signed(bitWidth: 64)
        case 0x43:
            try reader.skip(4)
        case 0x44:
            try reader.skip(8)
        case 0x45...0xC4:
            return numericEffect(opcode)
        case 0xD0:  // ref.null heaptype: the abstract func, extern, exn
            let heapType = try reader.byte()
            guard heapType == 0x70 || heapType == 0x6F || heapType == 0x69 else {
                throw .malformed("ref.null heap type outside the profile at byte \(at)")
            }
        case 0xD1:  // ref.is_null
            return Effect()
        case 0xFC:
            return try prefixedFC(&reader, at: at)
        default:
            throw .malformed("opcode 0x\(String(opcode, radix: 16)) at byte \(at) is outside the profile")
        }
        return Effect()
    }

    /// 0x45–0xC4 carry no immediates; this sorts them by what they do with NaN bits.
    private static func numericEffect(_ opcode: UInt8) -> Effect {
        switch opcode {
        case 0x8D...0x97:  // f32 ceil floor trunc nearest sqrt add sub mul div min max
            return Effect(mayProduceNaN: .f32, ignoresNaNBits: .f32)
        case 0x9B...0xA5:  // f64 ceil floor trunc nearest sqrt add sub mul div min max
            return Effect(mayProduceNaN: .f64, ignoresNaNBits: .f64)
        case 0xB6:  // f32.demote_f64
            return Effect(mayProduceNaN: .f32, ignoresNaNBits: .f64)
        case 0xBB:  // f64.promote_f32
            return Effect(mayProduceNaN: .f64, ignoresNaNBits: .f32)
        case 0x5B...0x60, 0xA8, 0xA9, 0xAE, 0xAF:  // f32 comparisons, i32/i64.trunc_f32_s/u
            return Effect(ignoresNaNBits: .f32)
        case 0x61...0x66, 0xAA, 0xAB, 0xB0, 0xB1:  // f64 comparisons, i32/i64.trunc_f64_s/u
            return Effect(ignoresNaNBits: .f64)
        default:
            return Effect()
        }
    }

    /// The 0xFC group: saturating truncations, `data.drop`, `elem.drop`, `table.grow` and
    /// `table.size`. Its sub-opcode is read as one byte, as WasmKit reads it. The bulk copies
    /// (`memory.init/copy/fill`, `table.init/copy/fill`) are refused: WasmKit prices them at
    /// one unit per 64 bytes, which buys 2 to 8 times the wall time of plain instructions.
    private static func prefixedFC(_ reader: inout WasmCodeReader, at: Int) throws(ModuleRewriteError) -> Effect {
        let sub = try reader.byte()
        switch sub {
        case 0x00, 0x01, 0x04, 0x05:  // i32/i64.trunc_sat_f32_s/u
            return Effect(ignoresNaNBits: .f32)
        case 0x02, 0x03, 0x06, 0x07:  // i32/i64.trunc_sat_f64_s/u
            return Effect(ignoresNaNBits: .f64)
        case 0x09, 0x0D, 0x0F, 0x10:  // data.drop elem.drop table.grow table.size
            _ = try reader.u32()
        case 0x08, 0x0A, 0x0B, 0x0C, 0x0E, 0x11:
            throw .malformed("bulk memory or table copy 0xfc \(sub) at byte \(at) is outside the profile")
        default:
            throw .malformed("opcode 0xfc \(sub) at byte \(at) is outside the profile")
        }
        return Effect()
    }

    /// `0x40` (no result), a value type, or a type index as a non-negative s33.
    private static func blockType(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) {
        let at = reader.offset
        let first = try reader.peek()
        if first == 0x40 {
            try reader.skip(1)
        } else if WasmCodeReader.valueTypes.contains(first) {
            _ = try reader.valueType()
        } else {
            // Other one-byte negative s33 values are value types outside the profile (v128, typed references).
            guard try reader.signed(bitWidth: 33) >= 0 else { throw .malformed("block type at byte \(at) is outside the profile") }
        }
    }

    /// Alignment then offset, both u32: a set bit 6 (multiple memories) and 64-bit offsets
    /// (memory64) are outside the profile.
    private static func memoryArgument(_ reader: inout WasmCodeReader, at: Int) throws(ModuleRewriteError) {
        let alignment = try reader.u32()
        guard alignment & 0x40 == 0 else { throw .malformed("memory index in a memarg at byte \(at)") }
        _ = try reader.u32()
    }

    /// Without multiple memories the memory index is one reserved zero byte.
    private static func zeroMemoryIndex(_ reader: inout WasmCodeReader) throws(ModuleRewriteError) {
        let at = reader.offset
        guard try reader.byte() == 0x00 else { throw .malformed("non-zero memory index at byte \(at)") }
    }
}
