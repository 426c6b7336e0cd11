/// Why a call to a node failed, in words a user can act on.
public enum NodeClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No HTTP answer at all: refused, timed out, bad host.
    case unreachable(url: String, reason: String)
    /// The node answered with an error status; `message` is its `{"error"}` text.
    case http(status: Int, message: String, url: String)
    /// The node answered 2xx with a body this client cannot read.
    case badResponse(url: String, reason: String)
    case invalidURL(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): return "cannot reach node at \(url): \(reason)"
        case .http(let status, let message, let url): return "\(url): HTTP \(status): \(message)"
        case .badResponse(let url, let reason): return "unexpected answer from \(url): \(reason)"
        case .invalidURL(let url): return "invalid node URL \"\(url)\" (expected e.g. http://127.0.0.1:26700)"
        }
    }

    /// True for a 404: the node does not know the thing (yet).
    public var isNotFound: Bool {
        if case .http(404, _, _) = self { return true }
        return false
    }

    /// No answer at all: the node is down, restarting, or the address is wrong.
    public var isUnreachable: Bool {
        if case .unreachable = self { return true }
        return false
    }
}
