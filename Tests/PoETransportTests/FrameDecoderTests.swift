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
        var decoder = FrameDecoder(frameBytesMax: 64)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(10))
        buffer.writeBytes([1, 2, 3])
        #expect(try decoder.nextFrame(&buffer) == nil)
        #expect(buffer.readableBytes == 7, "nothing is consumed until the frame is whole")
    }

    /// The peer's first frames are its unauthenticated handshake: a 4 MiB prefix there
    /// is refused from the prefix alone, though 4 MiB is allowed later.
    @Test func handshakeFramesHaveTheirOwnBound() throws {
        let decoder = FrameDecoder(
            handshakeFrameCount: LinkHandshake.peerFrameCount, handshakeFrameBytesMax: LinkHandshake.frameBytesMax,
            frameBytesMax: 4 << 20)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(4 << 20))
        #expect(throws: FrameError.tooLarge(declared: 4 << 20, max: LinkHandshake.frameBytesMax)) {
            try channel.writeInbound(prefix)
        }
    }

    @Test func theBoundRisesAfterTheHandshakeFrames() throws {
        var decoder = FrameDecoder(handshakeFrameCount: 2, handshakeFrameBytesMax: 8, frameBytesMax: 64)
        var stream = frame(Array(repeating: 1, count: 8))
        stream.writeImmutableBuffer(frame([2]))
        stream.writeImmutableBuffer(frame(Array(repeating: 3, count: 64)))
        #expect(decoder.nextFrameBytesMax == 8)
        #expect(try decoder.nextFrame(&stream)?.readableBytes == 8)
        #expect(try decoder.nextFrame(&stream)?.readableBytes == 1)
        #expect(decoder.nextFrameBytesMax == 64)
        #expect(try decoder.nextFrame(&stream)?.readableBytes == 64)

        var early = FrameDecoder(handshakeFrameCount: 2, handshakeFrameBytesMax: 8, frameBytesMax: 64)
        var big = frame(Array(repeating: 9, count: 9))
        #expect(throws: FrameError.tooLarge(declared: 9, max: 8)) { try early.nextFrame(&big) }
    }
}
