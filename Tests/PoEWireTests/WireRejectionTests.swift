import PoEWire
import Testing

@Suite struct WireRejectionTests {
    @Test func trailingBytesAreRefused() {
        #expect(throws: WireError.trailingBytes(count: 1)) {
            try Sample.decode(wireBytes: sample.wireBytes + [0])
        }
    }

    @Test func everyTruncationIsRefused() {
        let bytes = sample.wireBytes
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try Sample.decode(wireBytes: Array(bytes[0..<length])) }
        }
    }

    @Test func booleanOtherThanZeroOrOneIsRefused() {
        var reader = WireReader([2])
        #expect(throws: WireError.invalidTag(field: "flag", tag: 2)) { try reader.readBool(field: "flag") }
    }

    @Test func optionTagOtherThanZeroOrOneIsRefused() {
        var reader = WireReader([7, 0, 0, 0, 1])
        #expect(throws: WireError.invalidTag(field: "note", tag: 7)) {
            try reader.readOptional(UInt32.self, field: "note")
        }
    }

    @Test func lengthOverBoundIsRefusedBeforeReading() {
        var reader = WireReader([0, 0, 0, 17] + Array(repeating: UInt8(ascii: "a"), count: 17))
        #expect(throws: WireError.lengthOverBound(field: "name", length: 17, bound: 16)) {
            try reader.readString(bound: 16, field: "name")
        }
    }

    @Test func forgedHugeCountIsRefusedWithoutAllocating() {
        // A count of 2^32-1 with a bound that would allow it must still fail on the
        // bytes actually present, before reserving room for the elements.
        var reader = WireReader([0xff, 0xff, 0xff, 0xff, 0, 1])
        #expect(throws: WireError.self) {
            try reader.readArray(UInt64.self, bound: Int(UInt32.max), minElementBytes: 8)
        }
    }

    @Test func countOverBoundIsRefused() {
        var reader = WireReader([0, 0, 0, 5] + Array(repeating: 0, count: 10))
        #expect(throws: WireError.lengthOverBound(field: "items", length: 5, bound: 4)) {
            try reader.readArray(UInt16.self, bound: 4, minElementBytes: 2, field: "items")
        }
    }

    @Test func invalidUTF8IsRefused() {
        var reader = WireReader([0, 0, 0, 2, 0xc3, 0x28])
        #expect(throws: WireError.invalidUTF8(field: "name")) { try reader.readString(bound: 16, field: "name") }
    }

    @Test func emptyInputIsTruncated() {
        #expect(throws: WireError.truncated(needed: 1, remaining: 0)) { try UInt8.decode(wireBytes: []) }
    }
}
