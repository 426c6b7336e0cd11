#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why `poe testnet` refused its placement of the nodes.
public struct TestnetError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where a machine can be reached: an IPv4 or IPv6 literal or a DNS name, as an operator
/// writes it in `poe testnet --hosts`. Checked before anything is written, so that a typo
/// is an error naming the host rather than a node that dials nowhere.
public enum HostAddress: Equatable, Sendable, CustomStringConvertible {
    case ipv4(String)
    case ipv6(String)
    case name(String)

    /// RFC 1123: at most 253 characters in labels of 1 to 63 letters, digits and hyphens.
    static let nameBytesMax = 253
    static let labelBytesMax = 63

    public init(parsing text: String) throws(TestnetError) {
        func refuse(_ why: String) -> TestnetError { TestnetError("host \"\(text)\": \(why)") }
        guard !text.isEmpty else { throw refuse("empty") }
        // An IPv6 literal may come bracketed, as in a URL.
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if bare.contains(":") {
            guard HostAddress.isLiteral(bare, family: AF_INET6) else { throw refuse("not a valid IPv6 address") }
            self = .ipv6(bare)
            return
        }
        guard bare == text else { throw refuse("brackets are only for IPv6 addresses") }
        guard text.utf8.count <= HostAddress.nameBytesMax else {
            throw refuse("longer than \(HostAddress.nameBytesMax) characters")
        }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        // A name whose last label is all digits would be read as an IPv4 address by the
        // resolver ("10.1" is 10.0.0.1): it must be a whole dotted quad.
        if let last = labels.last, !last.isEmpty, last.allSatisfy(\.isASCIIDigit) {
            guard HostAddress.isLiteral(text, family: AF_INET) else {
                throw refuse("not a valid IPv4 address (four numbers 0-255 separated by dots)")
            }
            self = .ipv4(text)
            return
        }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= HostAddress.labelBytesMax else {
                throw refuse("each dot-separated part must have 1 to \(HostAddress.labelBytesMax) characters")
            }
            guard label.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == "-" }) else {
                throw refuse("a host name may hold only letters, digits, hyphens and dots")
            }
            guard label.first != "-", label.last != "-" else { throw refuse("a part may not begin or end with a hyphen") }
        }
        self = .name(text)
    }

    public var description: String {
        switch self {
        case .ipv4(let text), .ipv6(let text), .name(let text): return text
        }
    }

    /// "host:port" as peers dial it and URLs write it: an IPv6 literal in brackets.
    public func endpoint(port: Int) -> String {
        switch self {
        case .ipv6(let text): return "[\(text)]:\(port)"
        case .ipv4(let text), .name(let text): return "\(text):\(port)"
        }
    }

    /// A loopback address is reachable only from the machine itself.
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let text): return text.hasPrefix("127.")
        case .ipv6(let text): return HostAddress.sameIPv6(text, "::1")
        case .name(let text): return text.lowercased() == "localhost"
        }
    }

    /// 0.0.0.0 or `::`: every address of the machine, for listening; nothing to dial.
    public var isWildcard: Bool {
        switch self {
        case .ipv4(let text): return text == "0.0.0.0"
        case .ipv6(let text): return HostAddress.sameIPv6(text, "::")
        case .name: return false
        }
    }

    /// The wildcard of this address's family: what a node on this host binds its peer
    /// port to, so that it is reachable whichever of the machine's addresses (or a NAT in
    /// front of it) the host name leads to.
    public var wildcard: HostAddress {
        switch self {
        case .ipv6: return .ipv6("::")
        case .ipv4, .name: return .ipv4("0.0.0.0")
        }
    }

    static func isLiteral(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }

    static func sameIPv6(_ left: String, _ right: String) -> Bool {
        var a = [UInt8](repeating: 0, count: 16)
        var b = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET6, left, &a) == 1 && inet_pton(AF_INET6, right, &b) == 1 && a == b
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIILetter: Bool { isASCII && isLetter }
}
