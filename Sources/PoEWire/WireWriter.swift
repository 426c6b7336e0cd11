/// Appends the canonical encoding of values to a byte buffer.
///
/// The format has exactly one encoding per value: integers are fixed width and
/// big-endian, variable-length fields carry a fixed-width length prefix, booleans
/// and option tags are a single 0 or 1 byte. There are no varints, so there are no
/// non-minimal forms to reject.
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: UInt16) { writeBigEndian(value) }
    public mutating func write(_ value: UInt32) { writeBigEndian(value) }
    public mutating func write(_ value: UInt64) { writeBigEndian(value) }
    public mutating func write(_ value: Int64) { writeBigEndian(UInt64(bitPattern: value)) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Bytes whose length both sides know; no prefix.
    public mutating func writeFixed(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// A length-prefixed byte string. `bound` is the same bound the reader applies,
    /// checked here so that we never produce bytes our own decoder would refuse.
    public mutating func writeBytes(_ value: some Collection<UInt8>, bound: Int) {
        precondition(value.count <= bound, "encoding \(value.count) bytes over bound \(bound)")
        precondition(bound <= Int(UInt32.max), "bound must fit the 32-bit prefix")
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func writeString(_ value: String, bound: Int) {
        writeBytes(Array(value.utf8), bound: bound)
    }

    public mutating func write<T: WireEncodable>(_ value: T) { value.encode(to: &self) }

    public mutating func writeOptional<T: WireEncodable>(_ value: T?) {
        switch value {
        case .none: bytes.append(0)
        case .some(let wrapped):
            bytes.append(1)
            wrapped.encode(to: &self)
        }
    }

    /// A count-prefixed sequence. `bound` limits the count, as the reader does.
    public mutating func writeArray<T: WireEncodable>(_ values: [T], bound: Int) {
        precondition(values.count <= bound, "encoding \(values.count) elements over bound \(bound)")
        precondition(bound <= Int(UInt32.max), "bound must fit the 32-bit prefix")
        write(UInt32(values.count))
        for value in values { value.encode(to: &self) }
    }

    private mutating func writeBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
