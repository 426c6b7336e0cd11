import PoEWire
import Testing

/// A value shaped like the protocol's messages: every kind of field the format has.
struct Sample: WireCodable, Equatable {
    static let nameBytesMax = 16
    static let itemsMax = 4
    static let blobBytesMax = 8

    var tag: UInt8
    var small: UInt16
    var word: UInt32
    var wide: UInt64
    var signed: Int64
    var flag: Bool
    var name: String
    var note: UInt32?
    var items: [UInt16]

    func encode(to writer: inout WireWriter) {
        writer.write(tag)
        writer.write(small)
        writer.write(word)
        writer.write(wide)
        writer.write(signed)
        writer.write(flag)
        writer.writeString(name, bound: Sample.nameBytesMax)
        writer.writeOptional(note)
        writer.writeArray(items, bound: Sample.itemsMax)
    }

    init(from reader: inout WireReader) throws(WireError) {
        tag = try reader.readUInt8()
        small = try reader.readUInt16()
        word = try reader.readUInt32()
        wide = try reader.readUInt64()
        signed = try reader.readInt64()
        flag = try reader.readBool(field: "flag")
        name = try reader.readString(bound: Sample.nameBytesMax, field: "name")
        note = try reader.readOptional(UInt32.self, field: "note")
        items = try reader.readArray(UInt16.self, bound: Sample.itemsMax, minElementBytes: 2, field: "items")
    }

    init(
        tag: UInt8, small: UInt16, word: UInt32, wide: UInt64, signed: Int64, flag: Bool,
        name: String, note: UInt32?, items: [UInt16]
    ) {
        self.tag = tag
        self.small = small
        self.word = word
        self.wide = wide
        self.signed = signed
        self.flag = flag
        self.name = name
        self.note = note
        self.items = items
    }
}

let sample = Sample(
    tag: 7, small: 0x0102, word: 0x0304_0506, wide: 0x0708_090a_0b0c_0d0e, signed: -2, flag: true,
    name: "héllo", note: 9, items: [1, 2, 3])

@Suite struct WireRoundTripTests {
    @Test func integersAreBigEndianAndFixedWidth() {
        var writer = WireWriter()
        writer.write(UInt16(0x0102))
        writer.write(UInt32(0x0304_0506))
        writer.write(Int64(-1))
        #expect(writer.bytes == [1, 2, 3, 4, 5, 6, 255, 255, 255, 255, 255, 255, 255, 255])
    }

    @Test func valueRoundTrips() throws {
        let decoded = try Sample.decode(wireBytes: sample.wireBytes)
        #expect(decoded == sample)
    }

    @Test func extremesRoundTrip() throws {
        let extreme = Sample(
            tag: .max, small: .max, word: .max, wide: .max, signed: .min, flag: false,
            name: String(repeating: "x", count: Sample.nameBytesMax), note: nil,
            items: Array(repeating: .max, count: Sample.itemsMax))
        #expect(try Sample.decode(wireBytes: extreme.wireBytes) == extreme)
    }

    @Test func encodingIsStableAcrossEncoders() {
        // One value, one byte string: two encodings of equal values are identical.
        var copy = sample
        copy.items = [1, 2, 3]
        #expect(copy.wireBytes == sample.wireBytes)
    }

    /// Every byte string that decodes re-encodes to itself: no second encoding of any
    /// value is accepted. Checked on random mutations of a valid encoding.
    @Test func everyAcceptedByteStringIsCanonical() {
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        let valid = sample.wireBytes
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<(1 + Int(next() % 3)) {
                let position = Int(next() % UInt64(bytes.count))
                switch next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: next())
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: next()), at: position)
                }
            }
            if let value = try? Sample.decode(wireBytes: bytes) {
                accepted += 1
                #expect(value.wireBytes == bytes)
            }
        }
        #expect(accepted > 0, "the mutations should hit some other valid values")
    }
}
