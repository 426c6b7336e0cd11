import NIOCore
import NIOEmbedded
import Testing

@testable import PoETransport

@Suite struct FrameDecoderTests {
    func frame(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        FrameDecoder.writeFrame(body, into: &buffer)
        return buffer
    }

    @Test func framesSurviveOneByteReads() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(frameBytesMax: 64)))
        var stream = frame([1, 2, 3])
        stream.writeImmutableBuffer(frame([]))
        stream.writeImmutableBuffer(frame(Array(repeating: 9, count: 64)))
        while let byte = stream.readSlice(length: 1) { try channel.writeInbound(byte) }
        #expect(try channel.readInbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == [1, 2, 3])
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 0)
        #expect(try channel.readInbound(as: ByteBuffer.self)?.readableBytes == 64)
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(try channel.finish().isClean)
    }

    @Test func oversizedFrameIsRefusedFromItsPrefixAlone() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(frameBytesMax: 64)))
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(65))
        #expect(throws: FrameError.tooLarge(declared: 65, max: 64)) { try channel.writeInbound(prefix) }
    }

    @Test func partialFrameWaits() throws {
        let decoder = FrameDecoder(frameBytesMax: 64)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(10))
        buffer.writeBytes([1, 2, 3])
        #expect(try decoder.nextFrame(&buffer) == nil)
        #expect(buffer.readableBytes == 7, "nothing is consumed until the frame is whole")
    }
}
