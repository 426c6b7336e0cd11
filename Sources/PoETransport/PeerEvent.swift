public import PoECrypto

/// Why a connection ended without becoming a link. Every handshake, accepted or
/// dialled, ends either in a link or in exactly one of these. The raw values are
/// meant as metric labels.
public enum HandshakeRefusal: String, CaseIterable, Sendable, Hashable {
    /// A frame's length prefix was over `LinkHandshake.frameBytesMax`; nothing of its
    /// body was buffered.
    case oversizedFrame = "oversized_frame"
    /// Not authenticated within `handshakeTimeoutMilliseconds`.
    case timeout
    /// Accepted while `handshakesInProgressMax` connections were in their handshake;
    /// closed without reading.
    case tooManyInHandshake = "too_many_in_handshake"
    /// Accepted while `handshakesPerAddressMax` connections from the same IP address
    /// were in their handshake; closed without reading.
    case tooManyFromAddress = "too_many_from_address"
    /// The node key is not in the current peer set.
    case unknownKey = "unknown_key"
    /// Another key answered than the one dialled, or the node's own key did.
    case unexpectedKey = "unexpected_key"
    case wrongChain = "wrong_chain"
    case unsupportedVersion = "unsupported_version"
    /// The Auth signature does not verify against the claimed node key.
    case badSignature = "bad_signature"
    /// A frame that does not decode, arrives out of order, or carries an unusable
    /// ephemeral key.
    case malformed
    /// The remote closed or reset the connection before the handshake completed.
    case abandoned
}

extension LinkHandshakeError {
    /// The counter a failed handshake goes to.
    public var refusal: HandshakeRefusal {
        switch self {
        case .malformed, .keyAgreement, .unexpectedFrame: return .malformed
        case .unsupportedVersion: return .unsupportedVersion
        case .wrongChain: return .wrongChain
        case .unknownKey: return .unknownKey
        case .unexpectedKey, .selfConnection: return .unexpectedKey
        case .badSignature: return .badSignature
        }
    }
}

/// Why an established link went down.
public enum LinkDownReason: Sendable, Equatable, CustomStringConvertible {
    /// The connection ended: closed or reset by the peer, or an I/O error.
    case closed(String)
    /// This side closed it for a bad frame: over `frameBytesMax`, or failing
    /// authentication (replayed, reordered, forged).
    case broken(String)
    /// Its key left the peer set (`PeerNetwork.setPeers`).
    case removed
    /// A newer link to the same peer took its place.
    case replaced
    /// The network was stopped.
    case stopped

    public var description: String {
        switch self {
        case .closed(let detail): return "closed: \(detail)"
        case .broken(let detail): return "broken: \(detail)"
        case .removed: return "removed from the peer set"
        case .replaced: return "replaced by a newer link"
        case .stopped: return "network stopped"
        }
    }
}

/// What the peer network tells its owner, for logs. Refusals are rate-limited per
/// reason (`PeerNetworkConfig.refusalEventIntervalMilliseconds`), since a remote
/// controls how often they happen; the counters in `PeerNetworkStats` stay exact.
public enum PeerEvent: Sendable, Equatable, CustomStringConvertible {
    case linkUp(peer: PublicKey, remote: String)
    case linkDown(peer: PublicKey, reason: LinkDownReason)
    case handshakeRefused(remote: String, reason: HandshakeRefusal, detail: String)
    /// `count` refusals for `reason` were not reported one by one since the last event
    /// for that reason.
    case handshakeRefusalsSuppressed(reason: HandshakeRefusal, count: Int)

    public var description: String {
        switch self {
        case .linkUp(let peer, let remote): return "link up: \(peer.short) at \(remote)"
        case .linkDown(let peer, let reason): return "link down: \(peer.short), \(reason)"
        case .handshakeRefused(let remote, let reason, let detail):
            return "handshake refused: \(remote), \(reason.rawValue): \(detail)"
        case .handshakeRefusalsSuppressed(let reason, let count):
            return "handshake refused: \(count) more \(reason.rawValue) not reported"
        }
    }
}
