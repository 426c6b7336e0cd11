import NIOCore
import PoECrypto

/// What a link tells the network it belongs to.
protocol PeerLinkDelegate: AnyObject, Sendable {
    func linkEstablished(_ peer: PublicKey, channel: any Channel)
    func linkClosed(_ peer: PublicKey?, channel: any Channel, dialled: PublicKey?)
    func received(_ message: [UInt8], from peer: PublicKey)
    func refused(_ reason: String, handshake: Bool, channel: any Channel)
    func frameFlushed(to peer: PublicKey)
}

/// One TCP connection: runs the handshake, then seals what is written and opens what
/// is read. Confined to its channel's event loop.
final class PeerLinkHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    private var handshake: LinkHandshake
    private var cipher: LinkCipher?
    private let delegate: any PeerLinkDelegate
    private let handshakeTimeout: TimeAmount
    private var timeout: Scheduled<Void>?
    /// The peer this node dialled, if it dialled: it redials it when the link ends.
    private let dialled: PublicKey?

    init(handshake: LinkHandshake, dialled: PublicKey?, delegate: any PeerLinkDelegate, handshakeTimeout: TimeAmount) {
        self.handshake = handshake
        self.dialled = dialled
        self.delegate = delegate
        self.handshakeTimeout = handshakeTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        writeFrame(handshake.helloFrame, context: context)
        let channel = context.channel
        let delegate = self.delegate
        timeout = context.eventLoop.scheduleTask(in: handshakeTimeout) {
            delegate.refused("handshake timed out", handshake: true, channel: channel)
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        delegate.linkClosed(
            cipher == nil ? nil : handshake.peerKey, channel: context.channel,
            dialled: dialled)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let frame = buffer.readBytes(length: buffer.readableBytes) ?? []
        if var cipher {
            do {
                let message = try cipher.open(frame)
                self.cipher = cipher
                delegate.received(message, from: handshake.peerKey!)
            } catch {
                fail(context: context, reason: error.description, handshake: false)
            }
            return
        }
        do {
            let (reply, keys) = try handshake.receive(frame)
            if let reply { writeFrame(reply, context: context) }
            if let keys, let peer = handshake.peerKey {
                timeout?.cancel()
                cipher = LinkCipher(keys: keys)
                delegate.linkEstablished(peer, channel: context.channel)
            }
        } catch {
            fail(context: context, reason: error.description, handshake: true)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard var cipher else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let sealed = cipher.seal(unwrapOutboundIn(data))
        self.cipher = cipher
        var buffer = context.channel.allocator.buffer(capacity: sealed.count + FrameDecoder.prefixBytes)
        FrameDecoder.writeFrame(sealed, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, reason: "\(error)", handshake: cipher == nil)
    }

    private func fail(context: ChannelHandlerContext, reason: String, handshake: Bool) {
        delegate.refused(reason, handshake: handshake, channel: context.channel)
        context.close(promise: nil)
    }

    private func writeFrame(_ frame: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: frame.count + FrameDecoder.prefixBytes)
        FrameDecoder.writeFrame(frame, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
