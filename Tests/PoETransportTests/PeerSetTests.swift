import NIOCore
import NIOPosix
import PoECrypto
import Testing

@testable import PoETransport

/// `setPeers`: validators that join and leave a running cluster.
@Suite(.serialized) struct PeerSetTests {
    /// keys[0] has the largest key: the others dial it.
    @Test func removedKeyLosesItsLinkAndCannotReconnectUntilReadmitted() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 3, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        let target = cluster.networks[cluster.keys[0].publicKey]!
        let kept = cluster.keys[1].publicKey
        let removed = cluster.keys[2].publicKey
        let everyone = target.peers

        var fewer = everyone
        fewer[removed] = nil
        target.setPeers(fewer)
        #expect(target.connectedPeers == [kept])
        #expect(target.peers == fewer)
        #expect(cluster.events[cluster.keys[0].publicKey]!.all.contains(.linkDown(peer: removed, reason: .removed)))
        // The removed node still has the target in its set and keeps redialling.
        #expect(try await eventually(seconds: 3) { target.stats.handshakesRefused(.unknownKey) >= 2 })
        #expect(!target.connectedPeers.contains(removed))
        cluster.networks[removed]!.send([1], to: cluster.keys[0].publicKey)
        #expect(target.stats.linksEstablished - target.stats.linksLost == 1)

        target.setPeers(everyone)
        #expect(try await eventually { cluster.allConnected() })
        #expect(try await eventually { cluster.inboxes[cluster.keys[0].publicKey]!.contains([1], from: removed) })
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }

    /// keys[2] has the smallest key: it dials the others, and stops dialling a key it drops.
    @Test func dialledKeyThatIsRemovedIsNotRedialled() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 3, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        let dialler = cluster.networks[cluster.keys[2].publicKey]!
        let dropped = cluster.keys[0].publicKey
        let droppedNetwork = cluster.networks[dropped]!
        let everyone = dialler.peers

        var fewer = everyone
        fewer[dropped] = nil
        dialler.setPeers(fewer)
        #expect(try await eventually { !droppedNetwork.connectedPeers.contains(cluster.keys[2].publicKey) })
        let accepted = droppedNetwork.stats.connectionsAccepted
        try await Task.sleep(for: .milliseconds(400))  // twice the largest redial delay
        #expect(droppedNetwork.stats.connectionsAccepted == accepted, "no redial of a removed key")
        dialler.send([2], to: dropped)
        #expect(dialler.stats.framesDropped == 0 && dialler.stats.framesSent == 0, "a removed key gets no backlog")

        dialler.setPeers(everyone)
        #expect(try await eventually { cluster.allConnected() })
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }

    @Test func addedKeyCanLink() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var cluster = Cluster(size: 2, group: group)
        try await cluster.startAll()
        #expect(try await eventually { cluster.allConnected() })
        let host = cluster.networks[cluster.keys[0].publicKey]!
        let hostAddress = PeerAddress(host: "127.0.0.1", port: cluster.ports[cluster.keys[0].publicKey]!)
        let joiner = PrivateKey.deterministic(seed: "joiner")
        let inbox = Inbox()
        let (newcomer, newcomerPort) = try await startOnFreePort { port in
            var config = PeerNetworkConfig(
                nodeKey: joiner, chainID: "test-chain", peers: [cluster.keys[0].publicKey: hostAddress],
                listen: PeerAddress(host: "127.0.0.1", port: port))
            config.reconnectDelayMin = .milliseconds(20)
            config.reconnectDelayMax = .milliseconds(200)
            return PeerNetwork(config: config, group: group) { inbox.add($0, $1) }
        }
        // Whichever of the two dials, the host does not take the joiner yet.
        try await Task.sleep(for: .milliseconds(200))
        #expect(!host.connectedPeers.contains(joiner.publicKey))

        var more = host.peers
        more[joiner.publicKey] = PeerAddress(host: "127.0.0.1", port: newcomerPort)
        host.setPeers(more)
        #expect(try await eventually { host.connectedPeers.contains(joiner.publicKey) })
        #expect(try await eventually { newcomer.connectedPeers.contains(cluster.keys[0].publicKey) })
        host.send([3], to: joiner.publicKey)
        #expect(try await eventually { inbox.contains([3], from: cluster.keys[0].publicKey) })
        #expect(host.connectedPeers.count == 2, "the others keep their links")
        await newcomer.stop()
        await cluster.stopAll()
        try await group.shutdownGracefully()
    }
}
