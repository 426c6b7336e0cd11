import NIOCore
import PoECrypto

/// What a link tells the network it belongs to. Each connection ends its handshake
/// exactly once: `linkEstablished` returns true, or the connection is refused
/// (`handshakeFailed`, or `linkEstablished` returning false). Only an established
/// link reports `received` and, at its end, `linkClosed`.
protocol PeerLinkDelegate: AnyObject, Sendable {
    /// Whether the network takes the link; when not, it has counted why, and the
    /// handler closes the connection.
    func linkEstablished(_ peer: PublicKey, channel: any Channel) -> Bool
    /// `remote` is passed apart: a closed channel no longer knows its address.
    func handshakeFailed(_ refusal: HandshakeRefusal, detail: String, remote: String, channel: any Channel)
    func linkClosed(_ peer: PublicKey, channel: any Channel, reason: LinkDownReason)
    func received(_ message: [UInt8], from peer: PublicKey, channel: any Channel)
}

/// One TCP connection: runs the handshake, then seals what is written and opens what
/// is read. Confined to its channel's event loop.
///
/// The `FrameDecoder` before it bounds the first `LinkHandshake.peerFrameCount` frames
/// by `LinkHandshake.frameBytesMax`; this handler keeps that sound by closing the
/// connection unless the last of those frames establishes the link.
final class PeerLinkHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case handshaking
        case established(peer: PublicKey, cipher: LinkCipher)
        /// The handshake failed and was reported; the connection is closing.
        case refused
        /// This side is closing an established link for `reason`.
        case closing(peer: PublicKey, reason: LinkDownReason)
    }

    private var phase = Phase.handshaking
    private var handshake: LinkHandshake
    private let delegate: any PeerLinkDelegate
    private let handshakeTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Where the connection comes from, kept for reports made after it closed.
    private var remote = "unknown"

    init(handshake: LinkHandshake, delegate: any PeerLinkDelegate, handshakeTimeout: TimeAmount) {
        precondition(handshakeTimeout > .zero)
        self.handshake = handshake
        self.delegate = delegate
        self.handshakeTimeout = handshakeTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = describeRemote(of: context.channel)
        writeFrame(handshake.helloFrame, context: context)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [self] in
            refuse(.timeout, "not authenticated within \(handshakeTimeout.nanoseconds / 1_000_000) ms", context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        switch phase {
        case .handshaking:
            phase = .refused
            delegate.handshakeFailed(.abandoned, detail: "connection closed", remote: remote, channel: context.channel)
        case .established(let peer, _):
            delegate.linkClosed(peer, channel: context.channel, reason: .closed("connection closed"))
        case .closing(let peer, let reason):
            delegate.linkClosed(peer, channel: context.channel, reason: reason)
        case .refused:
            break
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let frame = buffer.readBytes(length: buffer.readableBytes) ?? []
        switch phase {
        case .handshaking:
            step(frame, context: context)
        case .established(let peer, var cipher):
            do {
                let message = try cipher.open(frame)
                phase = .established(peer: peer, cipher: cipher)
                delegate.received(message, from: peer, channel: context.channel)
            } catch {
                close(peer, .broken(error.description), context: context)
            }
        case .refused, .closing:
            break  // Already closing: what was read with the bad frame is dropped.
        }
    }

    private func step(_ frame: [UInt8], context: ChannelHandlerContext) {
        let reply: [UInt8]?
        let keys: LinkKeys?
        do {
            (reply, keys) = try handshake.receive(frame)
        } catch {
            refuse(error.refusal, error.description, context: context)
            return
        }
        if let reply { writeFrame(reply, context: context) }
        guard let keys else { return }
        guard let peer = handshake.peerKey else { preconditionFailure("an established handshake knows its peer") }
        deadline?.cancel()
        phase = .established(peer: peer, cipher: LinkCipher(keys: keys))
        guard delegate.linkEstablished(peer, channel: context.channel) else {
            phase = .refused
            context.close(promise: nil)
            return
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .established(let peer, var cipher) = phase else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let sealed = cipher.seal(unwrapOutboundIn(data))
        phase = .established(peer: peer, cipher: cipher)
        var buffer = context.channel.allocator.buffer(capacity: sealed.count + FrameDecoder.prefixBytes)
        FrameDecoder.writeFrame(sealed, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch phase {
        case .handshaking:
            // A frame over the handshake bound is the decoder's error; anything else
            // (a reset, bytes left at EOF) means the remote went away.
            let refusal: HandshakeRefusal = error is FrameError ? .oversizedFrame : .abandoned
            refuse(refusal, "\(error)", context: context)
        case .established(let peer, _):
            close(peer, error is FrameError ? .broken("\(error)") : .closed("\(error)"), context: context)
        case .refused, .closing:
            break
        }
    }

    private func refuse(_ refusal: HandshakeRefusal, _ detail: String, context: ChannelHandlerContext) {
        guard case .handshaking = phase else { return }
        phase = .refused
        deadline?.cancel()
        delegate.handshakeFailed(refusal, detail: detail, remote: remote, channel: context.channel)
        context.close(promise: nil)
    }

    private func close(_ peer: PublicKey, _ reason: LinkDownReason, context: ChannelHandlerContext) {
        phase = .closing(peer: peer, reason: reason)
        context.close(promise: nil)
    }

    private func writeFrame(_ frame: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: frame.count + FrameDecoder.prefixBytes)
        FrameDecoder.writeFrame(frame, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}

/// "ip:port" of the channel's remote end, or "unknown"; IPv6 addresses in brackets.
func describeRemote(of channel: any Channel) -> String {
    guard let address = channel.remoteAddress, let ip = address.ipAddress, let port = address.port else {
        return "unknown"
    }
    return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
}

/// Installed instead of a link on a connection over a handshake cap: closes it as soon
/// as it is active, before the channel's first read.
final class RefuseOnActiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
