import Foundation
import Hummingbird
import HummingbirdTesting
import PoENode
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An idle or half-open connection to the API is closed after `idleSeconds`, so a flood of
/// them does not pile up.
@Suite struct APIConnectionTests {
    /// A TCP connection to 127.0.0.1:`port` that sends nothing.
    static func idleConnection(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(result == 0)
        return fd
    }

    /// Whether the server closed `fd` within `seconds` (a read returns end of file).
    static func closedByServer(_ fd: Int32, within seconds: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, seconds * 1_000) == 1 else { return false }
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }

    @Test func idleAndHalfOpenConnectionsAreClosed() async throws {
        let backend = try FakeBackend()
        let app = makeAPIApplication(backend: backend, host: "127.0.0.1", port: 0, idleSeconds: 2)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // One that never sends a byte, one that sends half a request line.
            let silent = try Self.idleConnection(port: port)
            let half = try Self.idleConnection(port: port)
            defer {
                close(silent)
                close(half)
            }
            let partial = Array("GET /hea".utf8)
            #expect(write(half, partial, partial.count) == partial.count)
            #expect(Self.closedByServer(silent, within: 15))
            #expect(Self.closedByServer(half, within: 15))
            // The server still serves.
            let api = try NodeClient(baseURL: "http://127.0.0.1:\(port)", timeoutSeconds: 10)
            #expect(try await api.health())
        }
    }
}
