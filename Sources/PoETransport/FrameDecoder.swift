public import NIOCore

public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooLarge(declared: UInt32, max: Int)

    public var description: String {
        switch self {
        case .tooLarge(let declared, let max): return "frame of \(declared) bytes exceeds the maximum \(max)"
        }
    }
}

/// Splits a byte stream into frames: a 4-byte big-endian length, then that many bytes.
/// A declared length above the current bound is refused as soon as the prefix arrives,
/// before any of the body is buffered.
///
/// The first `handshakeFrameCount` frames are bounded by `handshakeFrameBytesMax`, the
/// rest by `frameBytesMax`: on a peer link the first frames are the unauthenticated
/// handshake, whose messages are small, and the handler closes the connection unless
/// the last of them authenticates the peer. So a remote that has not proven its key can
/// make this decoder hold at most `prefixBytes + handshakeFrameBytesMax` bytes.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    public static let prefixBytes = 4

    public let frameBytesMax: Int
    public let handshakeFrameCount: Int
    public let handshakeFrameBytesMax: Int
    public private(set) var framesDecoded = 0

    /// One bound for every frame.
    public init(frameBytesMax: Int) {
        self.init(handshakeFrameCount: 0, handshakeFrameBytesMax: frameBytesMax, frameBytesMax: frameBytesMax)
    }

    public init(handshakeFrameCount: Int, handshakeFrameBytesMax: Int, frameBytesMax: Int) {
        precondition(frameBytesMax > 0 && frameBytesMax <= Int(UInt32.max), "frameBytesMax must fit the prefix")
        precondition(handshakeFrameCount >= 0)
        precondition(
            handshakeFrameBytesMax > 0 && handshakeFrameBytesMax <= frameBytesMax,
            "the handshake bound must be positive and at most frameBytesMax")
        self.frameBytesMax = frameBytesMax
        self.handshakeFrameCount = handshakeFrameCount
        self.handshakeFrameBytesMax = handshakeFrameBytesMax
    }

    /// The bound on the next frame.
    public var nextFrameBytesMax: Int {
        framesDecoded < handshakeFrameCount ? handshakeFrameBytesMax : frameBytesMax
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try nextFrame(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// The framing rule alone, testable without a channel.
    public mutating func nextFrame(_ buffer: inout ByteBuffer) throws(FrameError) -> ByteBuffer? {
        guard let declared = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let bytesMax = nextFrameBytesMax
        guard Int(declared) <= bytesMax else { throw .tooLarge(declared: declared, max: bytesMax) }
        guard buffer.readableBytes >= FrameDecoder.prefixBytes + Int(declared) else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameDecoder.prefixBytes)
        framesDecoded += 1
        return buffer.readSlice(length: Int(declared))
    }

    /// Writes one frame (prefix and body) into `buffer`.
    public static func writeFrame(_ body: [UInt8], into buffer: inout ByteBuffer) {
        precondition(body.count <= Int(UInt32.max))
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
    }
}
