import NIOPosix
import PoECrypto
import Testing

@testable import PoETransport

/// The queue for a peer whose link is down is bounded in bytes as well as in frames:
/// frames may be megabytes, and a count alone would let one peer's backlog hold gigabytes.
@Suite struct PeerQueueBoundsTests {
    @Test func aDownPeersBacklogKeepsTheNewestFramesWithinItsByteBound() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let peer = PrivateKey.deterministic(seed: "absent-peer").publicKey
        var config = PeerNetworkConfig(
            nodeKey: PrivateKey.deterministic(seed: "sender"), chainID: "test",
            peers: [peer: PeerAddress(host: "127.0.0.1", port: 9)], listen: PeerAddress(host: "127.0.0.1", port: 0))
        config.frameBytesMax = 4096
        config.backlogBytesMax = 10_000
        let network = PeerNetwork(config: config, group: group, onMessage: { _, _ in })
        // Never started: the peer has no link, so every frame goes to its backlog.
        for index in 0..<10 { network.send([UInt8](repeating: UInt8(index), count: 3000), to: peer) }
        #expect(network.stats.queuedBytes == 9000, "three frames of 3,000 bytes fit in 10,000")
        #expect(network.stats.framesDropped == 7, "the seven oldest were dropped and counted")
        let kept = network.state.withLockedValue { $0.backlog[peer]?.frames ?? [] }
        #expect(kept.map { $0.first } == [7, 8, 9], "the newest are kept")

        // A frame as large as a frame may be still fits, alone.
        network.send([UInt8](repeating: 0xAA, count: 4000), to: peer)
        #expect(network.stats.queuedBytes == 10_000, "one more of the oldest made room")
        #expect(network.stats.framesDropped == 8)
        try await group.shutdownGracefully()
    }
}
