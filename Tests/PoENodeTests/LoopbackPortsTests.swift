import NIOCore
import NIOPosix
import PoENode
import Testing

/// Local clusters must never pick a port an outgoing connection may take, nor one in use.
@Suite struct LoopbackPortsTests {
    @Test func blocksAreDistinctFreeAndBelowTheEphemeralRange() throws {
        let (low, high) = LoopbackPorts.searchRange()
        let first = try LoopbackPorts.reserve(8)
        let second = try LoopbackPorts.reserve(8)
        #expect(abs(first - second) >= 8, "two blocks of one process never overlap")
        for base in [first, second] {
            #expect(base >= low && base + 8 <= high)
            #expect((base..<(base + 8)).allSatisfy(LoopbackPorts.isFree))
        }
    }

    @Test func aPortWithAListenerIsNotFree() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        #expect(!LoopbackPorts.isFree(port))
        try await channel.close()
        try await group.shutdownGracefully()
    }
}
