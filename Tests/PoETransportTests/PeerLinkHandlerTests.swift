import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import PoECrypto
import Testing

@testable import PoETransport

/// Records what a link reports, in order.
final class RecordingDelegate: PeerLinkDelegate {
    enum Call: Equatable {
        case established(PublicKey)
        case failed(HandshakeRefusal)
        case closed(PublicKey, LinkDownReason)
        case received([UInt8])
    }

    private let recorded = NIOLockedValueBox<[Call]>([])
    private let takesLinks: Bool

    init(takesLinks: Bool = true) { self.takesLinks = takesLinks }

    var calls: [Call] { recorded.withLockedValue { $0 } }

    func linkEstablished(_ peer: PublicKey, channel: any Channel) -> Bool {
        recorded.withLockedValue { $0.append(.established(peer)) }
        return takesLinks
    }
    func handshakeFailed(_ refusal: HandshakeRefusal, detail: String, remote: String, channel: any Channel) {
        recorded.withLockedValue { $0.append(.failed(refusal)) }
    }
    func linkClosed(_ peer: PublicKey, channel: any Channel, reason: LinkDownReason) {
        recorded.withLockedValue { $0.append(.closed(peer, reason)) }
    }
    func received(_ message: [UInt8], from peer: PublicKey, channel: any Channel) {
        recorded.withLockedValue { $0.append(.received(message)) }
    }
}

/// One accepted link on an `EmbeddedChannel`: no sockets, time advanced by hand.
@Suite struct PeerLinkHandlerTests {
    let alice = PrivateKey.deterministic(seed: "alice")
    let bob = PrivateKey.deterministic(seed: "bob")
    let timeout = TimeAmount.milliseconds(5_000)

    func acceptedLink(_ delegate: RecordingDelegate) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let handshake = LinkHandshake(
            role: .responder, nodeKey: bob, chainID: "test", expectedPeer: nil, isKnown: { _ in true })
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(
                FrameDecoder(
                    handshakeFrameCount: LinkHandshake.peerFrameCount,
                    handshakeFrameBytesMax: LinkHandshake.frameBytesMax, frameBytesMax: 4 << 20)))
        try channel.pipeline.syncOperations.addHandler(
            PeerLinkHandler(handshake: handshake, delegate: delegate, handshakeTimeout: timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 10_001)).wait()
        return channel
    }

    func frame(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        FrameDecoder.writeFrame(body, into: &buffer)
        return buffer
    }

    /// The frames the handler wrote, prefixes stripped.
    func written(_ channel: EmbeddedChannel) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            var decoder = FrameDecoder(frameBytesMax: 1 << 20)
            while let body = try decoder.nextFrame(&buffer) { frames.append(Array(body.readableBytesView)) }
        }
        return frames
    }

    /// Runs Alice's side of the handshake against the handler; returns her cipher.
    func authenticate(_ channel: EmbeddedChannel) throws -> LinkCipher {
        var initiator = LinkHandshake(
            role: .initiator, nodeKey: alice, chainID: "test", expectedPeer: bob.publicKey, isKnown: { _ in true })
        try channel.writeInbound(frame(initiator.helloFrame))
        let fromBob = try written(channel)
        try #require(fromBob.count == 2, "Bob's hello, then his auth")
        let (auth, _) = try initiator.receive(fromBob[0])
        let (_, keys) = try initiator.receive(fromBob[1])
        try channel.writeInbound(frame(try #require(auth)))
        return LinkCipher(keys: try #require(keys))
    }

    @Test func oversizedPrefixBeforeTheHandshakeClosesAtOnce() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        var flood = ByteBuffer()
        flood.writeInteger(UInt32(4 << 20))
        flood.writeBytes([UInt8](repeating: 0xAB, count: 1_000))
        try channel.writeInbound(flood)
        #expect(delegate.calls == [.failed(.oversizedFrame)])
        #expect(!channel.isActive, "closed from the prefix, not after 4 MiB")
    }

    @Test func deadlineClosesAnIdleConnection() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        channel.embeddedEventLoop.advanceTime(by: timeout - .milliseconds(1))
        #expect(channel.isActive && delegate.calls.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(delegate.calls == [.failed(.timeout)])
        #expect(!channel.isActive)
    }

    @Test func malformedHelloIsRefusedAsMalformed() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        try channel.writeInbound(frame([1, 2, 3]))
        #expect(delegate.calls == [.failed(.malformed)])
        #expect(!channel.isActive)
    }

    @Test func remoteThatLeavesMidHandshakeIsCountedAsAbandoned() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        _ = try channel.finish()
        #expect(delegate.calls == [.failed(.abandoned)])
    }

    /// After authentication the bound is `frameBytesMax`, and the deadline no longer applies.
    @Test func authenticatedLinkTakesLargeFramesAndOutlivesTheDeadline() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        var cipher = try authenticate(channel)
        #expect(delegate.calls == [.established(alice.publicKey)])
        channel.embeddedEventLoop.advanceTime(by: timeout * 2)
        let big = [UInt8](repeating: 7, count: 1 << 20)
        try channel.writeInbound(frame(cipher.seal(big)))
        #expect(delegate.calls == [.established(alice.publicKey), .received(big)])
        #expect(channel.isActive)
        _ = try channel.finish()
        #expect(delegate.calls.last == .closed(alice.publicKey, .closed("connection closed")))
    }

    @Test func forgedFrameBreaksAnEstablishedLink() throws {
        let delegate = RecordingDelegate()
        let channel = try acceptedLink(delegate)
        _ = try authenticate(channel)
        try channel.writeInbound(frame([UInt8](repeating: 0, count: 40)))
        #expect(!channel.isActive)
        guard case .closed(let peer, .broken(_)) = delegate.calls.last else {
            Issue.record("expected a broken link, got \(delegate.calls)")
            return
        }
        #expect(peer == alice.publicKey)
    }

    @Test func linkTheNetworkDoesNotTakeIsClosedWithoutALinkDown() throws {
        let delegate = RecordingDelegate(takesLinks: false)
        let channel = try acceptedLink(delegate)
        _ = try authenticate(channel)
        #expect(!channel.isActive)
        #expect(delegate.calls == [.established(alice.publicKey)])
    }
}
