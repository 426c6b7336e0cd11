import Foundation
import Glibc
import Synchronization

/// Hands out blocks of loopback ports for local clusters, whose genesis must name every
/// node's ports before any node listens, so port 0 cannot be used.
///
/// Blocks lie below the kernel's ephemeral range: a port in that range can be taken at
/// any moment by an outgoing connection (a peer dial, an HTTP client), which is how
/// clusters started with random high ports failed to bind on a busy machine. Blocks
/// are handed out once per process, and every port of a block is checked free by
/// binding it, so that other processes (another test run, a demo) are stepped around.
public enum LoopbackPorts {
    /// The first port of `count` consecutive ports, all free on 127.0.0.1 now.
    public static func reserve(_ count: Int) throws -> Int {
        precondition(count > 0 && count <= blockSize, "a block holds at most \(blockSize) ports")
        let (low, high) = searchRange()
        let blocks = (high - low) / blockSize
        guard blocks > 0 else { throw LoopbackPortsError.noFreeBlock(low: low, high: high) }
        for _ in 0..<blocks {
            let block = next.withLock { state -> Int in
                defer { state += 1 }
                return state % blocks
            }
            let base = low + block * blockSize
            if (base..<(base + count)).allSatisfy(isFree) { return base }
        }
        throw LoopbackPortsError.noFreeBlock(low: low, high: high)
    }

    static let blockSize = 128

    /// Starts at a random block so that two processes rarely probe the same one first.
    private static let next = Mutex(Int.random(in: 0..<1_000))

    /// From 10000 up to the start of the ephemeral range.
    public static func searchRange() -> (low: Int, high: Int) {
        let low = 10_000
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralStart = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
        return (low, max(low, min(ephemeralStart, 65_536)))
    }

    /// Whether a listener with SO_REUSEADDR (as the node's) could bind `port` now.
    public static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0
    }
}

public enum LoopbackPortsError: Error, CustomStringConvertible {
    case noFreeBlock(low: Int, high: Int)

    public var description: String {
        switch self {
        case .noFreeBlock(let low, let high):
            return "no block of free loopback ports between \(low) and \(high)"
        }
    }
}
