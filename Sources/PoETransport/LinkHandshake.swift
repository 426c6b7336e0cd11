public import PoECrypto
import PoEWire

public enum LinkHandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case unsupportedVersion(UInt16)
    case wrongChain
    case unknownKey(PublicKey)
    case unexpectedKey(expected: PublicKey, actual: PublicKey)
    case selfConnection
    case badSignature
    case keyAgreement(String)
    case unexpectedFrame

    public var description: String {
        switch self {
        case .malformed(let reason): return "malformed handshake frame: \(reason)"
        case .unsupportedVersion(let version): return "unsupported link protocol version \(version)"
        case .wrongChain: return "peer is on another chain"
        case .unknownKey(let key): return "unknown node key \(key.short)"
        case .unexpectedKey(let expected, let actual):
            return "dialled \(expected.short) but \(actual.short) answered"
        case .selfConnection: return "connected to itself"
        case .badSignature: return "handshake signature does not verify"
        case .keyAgreement(let reason): return "key agreement failed: \(reason)"
        case .unexpectedFrame: return "frame arrived out of handshake order"
        }
    }
}

/// The keys of an established link, one per direction.
public struct LinkKeys: Sendable {
    public let sendKey: [UInt8]
    public let receiveKey: [UInt8]
}

/// The link handshake as a value: feed it the peer's frames, send what it returns.
///
///     both sides:  send Hello(version, chain, nodeKey, ephemeral)
///     on Hello:    check version, chain, key known (and, when dialling, the key dialled);
///                  send Auth(sign(transcript ‖ role))
///     on Auth:     verify the peer's signature over (transcript ‖ peer role);
///                  keys = HKDF(X25519(ephemerals), salt: transcript)
///
/// The transcript is SHA-256 over both hellos in initiator-then-responder order, so
/// both sides sign the same links bytes and a signature binds both ephemeral keys.
public struct LinkHandshake: Sendable {
    /// The frames a peer sends before it is authenticated: its Hello, then its Auth.
    /// The handshake either establishes the link or fails on the last of them.
    public static let peerFrameCount = 2
    /// The largest frame a peer may send before it is authenticated. Both messages have
    /// a fixed-size encoding, so any longer prefix is refused before its body is read.
    public static let frameBytesMax = max(LinkHello.wireByteCount, LinkAuth.wireByteCount)

    enum State: Sendable {
        case awaitingHello
        case awaitingAuth(peerHello: LinkHello, transcript: Digest)
        case established
        case failed
    }

    public let role: LinkRole
    private let nodeKey: PrivateKey
    private let ephemeral: X25519PrivateKey
    private let ownHello: LinkHello
    private let isKnown: @Sendable (PublicKey) -> Bool
    private let expectedPeer: PublicKey?
    private var state: State = .awaitingHello

    public private(set) var peerKey: PublicKey?

    /// - Parameters:
    ///   - expectedPeer: the key dialled (initiator); nil when accepting.
    ///   - isKnown: whether a node key may connect at all.
    public init(
        role: LinkRole, nodeKey: PrivateKey, chainID: String, expectedPeer: PublicKey?,
        ephemeral: X25519PrivateKey = X25519PrivateKey(), isKnown: @escaping @Sendable (PublicKey) -> Bool
    ) {
        precondition(role == .responder || expectedPeer != nil, "an initiator must know whom it dials")
        self.role = role
        self.nodeKey = nodeKey
        self.ephemeral = ephemeral
        self.expectedPeer = expectedPeer
        self.isKnown = isKnown
        ownHello = LinkHello(
            version: LinkHello.protocolVersion, chain: Digest.sha256(chainID), nodeKey: nodeKey.publicKey,
            ephemeralKey: ephemeral.publicKey)
    }

    /// The first frame to send, as soon as the connection is up.
    public var helloFrame: [UInt8] { ownHello.wireBytes }

    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// Steps the handshake with one frame from the peer. Returns the frame to send
    /// (after a Hello) and, once the peer's Auth verifies, the link keys.
    public mutating func receive(_ frame: [UInt8]) throws(LinkHandshakeError) -> (reply: [UInt8]?, keys: LinkKeys?) {
        switch state {
        case .awaitingHello:
            return (try receiveHello(frame), nil)
        case .awaitingAuth(let peerHello, let transcript):
            return (nil, try receiveAuth(frame, peerHello: peerHello, transcript: transcript))
        case .established, .failed:
            state = .failed
            throw .unexpectedFrame
        }
    }

    private mutating func receiveHello(_ frame: [UInt8]) throws(LinkHandshakeError) -> [UInt8] {
        state = .failed
        let hello: LinkHello
        do { hello = try LinkHello.decode(wireBytes: frame) } catch { throw .malformed(error.description) }
        guard hello.version == LinkHello.protocolVersion else { throw .unsupportedVersion(hello.version) }
        guard hello.chain == ownHello.chain else { throw .wrongChain }
        guard hello.nodeKey != nodeKey.publicKey else { throw .selfConnection }
        if let expectedPeer, hello.nodeKey != expectedPeer {
            throw .unexpectedKey(expected: expectedPeer, actual: hello.nodeKey)
        }
        guard isKnown(hello.nodeKey) else { throw .unknownKey(hello.nodeKey) }
        let transcript = LinkHandshake.transcript(
            initiator: role == .initiator ? ownHello : hello, responder: role == .initiator ? hello : ownHello)
        let signature = nodeKey.sign(LinkHandshake.signedBytes(transcript, role), domain: .peerHandshake)
        peerKey = hello.nodeKey
        state = .awaitingAuth(peerHello: hello, transcript: transcript)
        return LinkAuth(signature: signature).wireBytes
    }

    private mutating func receiveAuth(
        _ frame: [UInt8], peerHello: LinkHello, transcript: Digest
    ) throws(LinkHandshakeError) -> LinkKeys {
        state = .failed
        let auth: LinkAuth
        do { auth = try LinkAuth.decode(wireBytes: frame) } catch { throw .malformed(error.description) }
        let signed = LinkHandshake.signedBytes(transcript, role.other)
        guard peerHello.nodeKey.verify(auth.signature, for: signed, domain: .peerHandshake) else {
            throw .badSignature
        }
        let shared: [UInt8]
        let material: [UInt8]
        do {
            shared = try ephemeral.sharedSecret(with: peerHello.ephemeralKey)
            material = try HKDF.sha256(
                secret: shared, salt: transcript.bytes, info: Array("poe/v1/link-keys".utf8), outputByteCount: 64)
        } catch {
            throw .keyAgreement(error.description)
        }
        let initiatorToResponder = Array(material[0..<32])
        let responderToInitiator = Array(material[32..<64])
        state = .established
        switch role {
        case .initiator: return LinkKeys(sendKey: initiatorToResponder, receiveKey: responderToInitiator)
        case .responder: return LinkKeys(sendKey: responderToInitiator, receiveKey: initiatorToResponder)
        }
    }

    static func transcript(initiator: LinkHello, responder: LinkHello) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(Array("poe/v1/link-transcript".utf8))
        hasher.update(initiator.wireBytes)
        hasher.update(responder.wireBytes)
        return hasher.finalize()
    }

    static func signedBytes(_ transcript: Digest, _ role: LinkRole) -> [UInt8] {
        transcript.bytes + [role.rawValue]
    }
}
