import PoECrypto
import Testing

@testable import PoETransport

@Suite struct PeerNetworkConfigTests {
    func config(_ tune: (inout PeerNetworkConfig) -> Void = { _ in }) -> PeerNetworkConfig {
        var config = PeerNetworkConfig(
            nodeKey: PrivateKey.deterministic(seed: "config"), chainID: "test", peers: [:],
            listen: PeerAddress(host: "127.0.0.1", port: 10_000))
        tune(&config)
        return config
    }

    func rule(_ tune: (inout PeerNetworkConfig) -> Void) -> String? {
        do {
            try config(tune).validate()
            return nil
        } catch {
            return error.rule
        }
    }

    @Test func defaultsAreValidAndAsDocumented() throws {
        let defaults = config()
        try defaults.validate()
        #expect(defaults.handshakesInProgressMax == 64)
        #expect(defaults.handshakesPerAddressMax == 8)
        #expect(defaults.handshakeTimeoutMilliseconds == 5_000)
        #expect(defaults.refusalEventIntervalMilliseconds == 1_000)
        #expect(defaults.frameBytesMax == 4 << 20)
    }

    @Test func everyBoundIsChecked() {
        #expect(rule { $0.frameBytesMax = PeerNetworkConfig.frameBytesMin - 1 }?.hasPrefix("frameBytesMax") == true)
        #expect(rule { $0.backlogFramesMax = 0 }?.hasPrefix("backlogFramesMax") == true)
        #expect(rule { $0.inFlightFramesMax = 0 }?.hasPrefix("inFlightFramesMax") == true)
        #expect(rule { $0.backlogBytesMax = $0.frameBytesMax - 1 }?.hasPrefix("backlogBytesMax") == true)
        #expect(rule { $0.inFlightBytesMax = $0.frameBytesMax - 1 }?.hasPrefix("backlogBytesMax") == true)
        #expect(rule { $0.handshakeTimeoutMilliseconds = 0 }?.hasPrefix("handshakeTimeoutMilliseconds") == true)
        #expect(
            rule { $0.handshakeTimeoutMilliseconds = PeerNetworkConfig.handshakeTimeoutMillisecondsMax + 1 }?
                .hasPrefix("handshakeTimeoutMilliseconds") == true)
        #expect(rule { $0.handshakesInProgressMax = 0 }?.hasPrefix("handshakesInProgressMax") == true)
        #expect(rule { $0.handshakesPerAddressMax = 0 }?.hasPrefix("handshakesPerAddressMax") == true)
        #expect(
            rule { $0.refusalEventIntervalMilliseconds = 0 }?.hasPrefix("refusalEventIntervalMilliseconds") == true)
        #expect(rule { $0.reconnectDelayMin = .zero }?.hasPrefix("reconnectDelayMin") == true)
    }

    /// The per-address cap is a share of the total: a larger one would never bind.
    @Test func perAddressCapMayNotExceedTheTotal() {
        #expect(
            rule {
                $0.handshakesInProgressMax = 4
                $0.handshakesPerAddressMax = 5
            } == "handshakesPerAddressMax must be in 1...handshakesInProgressMax (4), got 5")
        #expect(
            rule {
                $0.handshakesInProgressMax = 4
                $0.handshakesPerAddressMax = 4
            } == nil)
    }

    @Test func nodeIsNotItsOwnPeer() {
        #expect(
            rule { $0.peers = [$0.nodeKey.publicKey: PeerAddress(host: "127.0.0.1", port: 1)] }
                == "a node is not its own peer")
    }
}
