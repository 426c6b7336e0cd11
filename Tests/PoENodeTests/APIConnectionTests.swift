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
    /// A TCP connection to 127.0.0.1:`port` that sends nothing, from the loopback address
    /// `source` (the whole of 127/8 reaches the loopback interface on Linux).
    static func idleConnection(port: Int, from source: String = "127.0.0.1") throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
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

    /// Runs the API of `backend` with these limits on a loopback port, as `poe node` runs it
    /// (HummingbirdTesting's server would drop the connection cap, since
    /// `ApplicationConfiguration.with` copies no connection delegate), and returns once it
    /// answers `/health`. Cancel the task to stop it.
    static func serving(
        _ backend: FakeBackend, idleSeconds: Int64, connectionsMax: Int = APILimits.connectionsMax,
        connectionsPerAddressMax: Int = APILimits.connectionsPerAddressMax,
        requestBaseSeconds: Int64 = APILimits.requestBaseSeconds
    ) async throws -> (port: Int, server: Task<Void, any Error>) {
        let port = try LoopbackPorts.reserve(1)
        let app = makeAPIApplication(
            backend: backend, host: "127.0.0.1", port: port, idleSeconds: idleSeconds, connectionsMax: connectionsMax,
            connectionsPerAddressMax: connectionsPerAddressMax, requestBaseSeconds: requestBaseSeconds)
        let server = Task { try await app.runService() }
        let api = try NodeClient(baseURL: "http://127.0.0.1:\(port)", timeoutSeconds: 20)
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await api.health()) == true
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        if !up { server.cancel() }
        try #require(up, "the API came up")
        return (port, server)
    }

    /// A flood of connections past the cap waits in the listen queue: the node holds at
    /// most the cap (plus the few it accepts per wake-up), frees idle ones after the
    /// timeout, and serves the rest in turn.
    @Test func connectionsPastTheCapWaitAndAreServedInTurn() async throws {
        let backend = try FakeBackend()
        let (port, server) = try await Self.serving(backend, idleSeconds: 2, connectionsMax: 4)
        defer { server.cancel() }

        let flood = try (0..<12).map { _ in try Self.idleConnection(port: port) }
        defer { for fd in flood { close(fd) } }
        var highest = 0
        for _ in 0..<20 {
            highest = max(highest, backend.requestMetrics.connectionsOpen)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(highest >= 4, "the cap's worth were accepted")
        #expect(highest <= 4 + 4, "no more than the cap and one wake-up's accepts (NIO accepts 4 at a time)")
        // The idle timeout frees the held ones; the queued flood, then a new connection,
        // get in. (A raw one: NodeClient's pool would reuse its kept-alive connection.)
        let later = try Self.idleConnection(port: port)
        defer { close(later) }
        let request = Array("GET /health HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n".utf8)
        #expect(write(later, request, request.count) == request.count)
        // Served within seconds alone; the long bound is for a full test run, whose CPU-bound
        // tests can hold the cooperative pool that answers requests for most of a minute.
        var poller = pollfd(fd: later, events: Int16(POLLIN), revents: 0)
        try #require(poll(&poller, 1, 120_000) == 1, "the queued connection was served")
        var answer = [UInt8](repeating: 0, count: 64)
        let count = read(later, &answer, answer.count)
        #expect(count > 0 && String(decoding: answer.prefix(max(count, 0)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(backend.requestMetrics.connectionsOpen <= 4 + 4)
    }

    /// One address past its quota has its new connections closed on accept; another
    /// address is still served at once.
    @Test func oneAddressCannotTakeEverySlot() async throws {
        let backend = try FakeBackend()
        let (port, server) = try await Self.serving(backend, idleSeconds: 120, connectionsPerAddressMax: 4)
        defer { server.cancel() }

        let flood = try (0..<20).map { _ in try Self.idleConnection(port: port, from: "127.0.0.2") }
        defer { for fd in flood { close(fd) } }
        let closed = flood.filter { Self.closedByServer($0, within: 1) }.count
        #expect(closed == 16, "all but the quota of 4 were closed on accept")
        #expect(backend.requestMetrics.connectionsRefused == 16)
        // Another address (this test's client, on 127.0.0.1) is served while they are held.
        let other = try NodeClient(baseURL: "http://127.0.0.1:\(port)", timeoutSeconds: 10)
        #expect(try await other.health())
    }

    /// A request whose body trickles in (a byte every 200 ms: every byte is activity, so
    /// the idle timeout never fires) is closed at its deadline and counted.
    @Test func aTrickledBodyIsClosedAtItsDeadline() async throws {
        let backend = try FakeBackend()
        let (port, server) = try await Self.serving(backend, idleSeconds: 120, requestBaseSeconds: 1)
        defer { server.cancel() }

        let slow = try Self.idleConnection(port: port)
        defer { close(slow) }
        let head = Array("POST /blobs HTTP/1.1\r\nHost: node\r\nContent-Length: 1000\r\n\r\n".utf8)
        #expect(send(slow, head, head.count, Int32(MSG_NOSIGNAL)) == head.count)
        let started = ContinuousClock.now
        var closed = false
        for _ in 0..<300 where !closed {
            var byte: UInt8 = 0x61
            _ = send(slow, &byte, 1, Int32(MSG_NOSIGNAL))
            var poller = pollfd(fd: slow, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 200) == 1 {
                var answer: UInt8 = 0
                closed = read(slow, &answer, 1) <= 0
            }
        }
        #expect(closed, "the trickled request was closed")
        #expect(ContinuousClock.now - started < .seconds(30), "at its deadline (1 s, and 1,000 bytes at the minimum rate), not at the idle timeout")
        #expect(backend.requestMetrics.requestsTimedOut == 1)
        // The server still serves.
        let api = try NodeClient(baseURL: "http://127.0.0.1:\(port)", timeoutSeconds: 10)
        #expect(try await api.health())
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
