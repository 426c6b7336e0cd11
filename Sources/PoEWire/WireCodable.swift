/// A value with one canonical byte encoding.
public protocol WireEncodable {
    func encode(to writer: inout WireWriter)
}

/// A value that can be read back from its canonical encoding, strictly.
public protocol WireDecodable {
    init(from reader: inout WireReader) throws(WireError)
}

public typealias WireCodable = WireEncodable & WireDecodable

extension WireEncodable {
    /// The canonical encoding of this value.
    public var wireBytes: [UInt8] {
        var writer = WireWriter()
        encode(to: &writer)
        return writer.bytes
    }
}

extension WireDecodable {
    /// Decodes a whole byte string: the value must use every byte.
    public static func decode(wireBytes bytes: [UInt8]) throws(WireError) -> Self {
        var reader = WireReader(bytes)
        let value = try Self(from: &reader)
        try reader.finish()
        return value
    }
}

extension UInt8: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readUInt8() }
}

extension UInt16: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readUInt16() }
}

extension UInt32: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readUInt32() }
}

extension UInt64: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readUInt64() }
}

extension Int64: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readInt64() }
}

extension Bool: WireCodable {
    public func encode(to writer: inout WireWriter) { writer.write(self) }
    public init(from reader: inout WireReader) throws(WireError) { self = try reader.readBool() }
}
