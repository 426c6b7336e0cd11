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
/// A declared length above `frameBytesMax` is refused as soon as the prefix arrives,
/// before any of the body is buffered.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    public static let prefixBytes = 4

    public let frameBytesMax: Int

    public init(frameBytesMax: Int) {
        precondition(frameBytesMax > 0 && frameBytesMax <= Int(UInt32.max))
        self.frameBytesMax = frameBytesMax
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
    public func nextFrame(_ buffer: inout ByteBuffer) throws(FrameError) -> ByteBuffer? {
        guard let declared = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard Int(declared) <= frameBytesMax else { throw .tooLarge(declared: declared, max: frameBytesMax) }
        guard buffer.readableBytes >= FrameDecoder.prefixBytes + Int(declared) else { return nil }
        buffer.moveReaderIndex(forwardBy: FrameDecoder.prefixBytes)
        return buffer.readSlice(length: Int(declared))
    }

    /// Writes one frame (prefix and body) into `buffer`.
    public static func writeFrame(_ body: [UInt8], into buffer: inout ByteBuffer) {
        precondition(body.count <= Int(UInt32.max))
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
    }
}
