/// Why a module could not be rewritten before it ran. Either way, nothing runs.
enum ModuleRewriteError: Error, Equatable {
    /// The bytes are not a module of the profile's instruction set: truncated, a bad LEB128,
    /// an unknown opcode, or an opcode of a feature the profile leaves out (SIMD, threads,
    /// tail calls, typed function references, GC, multiple memories, memory64).
    case malformed(String)
    /// The rewritten module would be larger than the profile allows.
    case tooLarge(byteCount: Int, max: Int)
}

/// A cursor over a WebAssembly binary: bytes, LEB128 integers and value types, decoded as
/// the binary format specifies (an N-bit LEB128 takes at most ceil(N / 7) bytes and the
/// bits past N in its last byte must be zero, or its sign for a signed one). Every read is
/// bounded by `end`; running past it is `malformed`, never a crash.
struct WasmCodeReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil) {
        let end = end ?? bytes.count
        precondition(0 <= offset && offset <= end && end <= bytes.count, "reader range out of the buffer")
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    var isAtEnd: Bool { offset == end }
    var remaining: Int { end - offset }

    mutating func byte() throws(ModuleRewriteError) -> UInt8 {
        guard offset < end else { throw .malformed("unexpected end at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    func peek() throws(ModuleRewriteError) -> UInt8 {
        guard offset < end else { throw .malformed("unexpected end at byte \(offset)") }
        return bytes[offset]
    }

    mutating func skip(_ count: Int) throws(ModuleRewriteError) {
        guard count >= 0, count <= remaining else { throw .malformed("unexpected end at byte \(offset)") }
        offset += count
    }

    /// An unsigned LEB128 of at most `bitWidth` bits (32 for indices and counts).
    mutating func unsigned(bitWidth: Int = 32) throws(ModuleRewriteError) -> UInt64 {
        precondition(bitWidth > 0 && bitWidth <= 64)
        let start = offset
        var result: UInt64 = 0
        var shift = 0
        while true {
            let byte = try self.byte()
            let payload = UInt64(byte & 0x7F)
            let room = bitWidth - shift
            if room < 7 {
                // The last byte the width allows: no continuation, no bits past the width.
                guard byte & 0x80 == 0, payload >> room == 0 else {
                    throw .malformed("LEB128 at byte \(start) over \(bitWidth) bits")
                }
            }
            result |= payload << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func u32() throws(ModuleRewriteError) -> UInt32 {
        UInt32(try unsigned(bitWidth: 32))
    }

    /// A signed LEB128 of at most `bitWidth` bits (32 and 64 for constants, 33 for block types).
    mutating func signed(bitWidth: Int) throws(ModuleRewriteError) -> Int64 {
        precondition(bitWidth > 0 && bitWidth <= 64)
        let start = offset
        var result: Int64 = 0
        var shift = 0
        while true {
            let byte = try self.byte()
            let payload = Int64(byte & 0x7F)
            let room = bitWidth - shift
            if room < 7 {
                // The last byte the width allows: no continuation, and its bits from the
                // value's sign bit (payload bit room - 1) up must all be equal.
                let high = Int8(bitPattern: byte << 1) >> room
                guard byte & 0x80 == 0, high == 0 || high == -1 else {
                    throw .malformed("signed LEB128 at byte \(start) over \(bitWidth) bits")
                }
            }
            result |= payload << shift
            shift += 7
            if byte & 0x80 == 0 {
                if shift < 64, byte & 0x40 != 0 { result |= -1 << shift }
                return result
            }
        }
    }

    /// A value type the profile admits: the four numbers, `funcref`, `externref` and
    /// (exception handling) `exnref`. `v128` (SIMD) and the typed-reference encodings
    /// (`0x63`/`0x64`, function references and GC) are refused.
    mutating func valueType() throws(ModuleRewriteError) -> UInt8 {
        let at = offset
        let type = try byte()
        guard WasmCodeReader.valueTypes.contains(type) else {
            throw .malformed("value type 0x\(String(type, radix: 16)) at byte \(at) is outside the profile")
        }
        return type
    }

    static let valueTypes: Set<UInt8> = [0x7F, 0x7E, 0x7D, 0x7C, 0x70, 0x6F, 0x69]
}

/// Appends WebAssembly's LEB128 encodings (minimal length) to a byte buffer.
extension Array where Element == UInt8 {
    mutating func appendLEB(_ value: UInt64) {
        var rest = value
        repeat {
            let low = UInt8(rest & 0x7F)
            rest >>= 7
            append(rest == 0 ? low : low | 0x80)
        } while rest != 0
    }

    static func lebByteCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value >> 7
        while rest != 0 {
            count += 1
            rest >>= 7
        }
        return count
    }
}
