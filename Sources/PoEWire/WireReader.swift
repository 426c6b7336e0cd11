/// Reads canonical encodings back, strictly: every length is bounded before any
/// memory is reserved for it, every tag is checked, and `finish()` refuses
/// trailing bytes. No input can make it trap.
public struct WireReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func readUInt8() throws(WireError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() throws(WireError) -> UInt16 { try readBigEndian() }
    public mutating func readUInt32() throws(WireError) -> UInt32 { try readBigEndian() }
    public mutating func readUInt64() throws(WireError) -> UInt64 { try readBigEndian() }
    public mutating func readInt64() throws(WireError) -> Int64 { Int64(bitPattern: try readBigEndian()) }

    public mutating func readBool(field: String = "bool") throws(WireError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let tag: throw .invalidTag(field: field, tag: tag)
        }
    }

    public mutating func readFixed(count: Int) throws(WireError) -> [UInt8] {
        precondition(count >= 0)
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public mutating func readBytes(bound: Int, field: String = "bytes") throws(WireError) -> [UInt8] {
        let length = try readUInt32()
        guard UInt64(length) <= UInt64(bound) else {
            throw .lengthOverBound(field: field, length: UInt64(length), bound: bound)
        }
        return try readFixed(count: Int(length))
    }

    public mutating func readString(bound: Int, field: String = "string") throws(WireError) -> String {
        let raw = try readBytes(bound: bound, field: field)
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    public mutating func read<T: WireDecodable>(_ type: T.Type = T.self) throws(WireError) -> T {
        try T(from: &self)
    }

    public mutating func readOptional<T: WireDecodable>(
        _ type: T.Type = T.self, field: String = "optional"
    ) throws(WireError) -> T? {
        switch try readUInt8() {
        case 0: return nil
        case 1: return try T(from: &self)
        case let tag: throw .invalidTag(field: field, tag: tag)
        }
    }

    /// A count-prefixed sequence. The count is checked against `bound` and against
    /// the bytes left (each element takes at least `minElementBytes`)
    /// before anything is reserved, so a forged count cannot allocate.
    public mutating func readArray<T: WireDecodable>(
        _ type: T.Type = T.self, bound: Int, minElementBytes: Int = 1, field: String = "array"
    ) throws(WireError) -> [T] {
        precondition(minElementBytes >= 0)
        let count = try readUInt32()
        guard UInt64(count) <= UInt64(bound) else {
            throw .lengthOverBound(field: field, length: UInt64(count), bound: bound)
        }
        let needed = Int(count).multipliedReportingOverflow(by: minElementBytes)
        guard !needed.overflow, needed.partialValue <= remaining else {
            throw .truncated(needed: needed.overflow ? Int.max : needed.partialValue, remaining: remaining)
        }
        var values: [T] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count { values.append(try T(from: &self)) }
        return values
    }

    /// Ends decoding: the value must have used every byte.
    public func finish() throws(WireError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining) }
    }

    private func need(_ count: Int) throws(WireError) {
        guard count <= remaining else { throw .truncated(needed: count, remaining: remaining) }
    }

    private mutating func readBigEndian<T: FixedWidthInteger>() throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        try need(size)
        var value: T = 0
        for index in offset..<offset + size { value = value << 8 | T(bytes[index]) }
        offset += size
        return value
    }
}
