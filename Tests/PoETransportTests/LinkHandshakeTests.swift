import PoECrypto
import PoEWire
import Testing

@testable import PoETransport

/// Runs both halves of a handshake against each other, as two sockets would.
func handshake(
    initiator: inout LinkHandshake, responder: inout LinkHandshake
) throws -> (LinkKeys, LinkKeys) {
    let (authFromResponder, _) = try responder.receive(initiator.helloFrame)
    let (authFromInitiator, _) = try initiator.receive(responder.helloFrame)
    let (_, responderKeys) = try responder.receive(try #require(authFromInitiator))
    let (_, initiatorKeys) = try initiator.receive(try #require(authFromResponder))
    return (try #require(initiatorKeys), try #require(responderKeys))
}

@Suite struct LinkHandshakeTests {
    let alice = PrivateKey.deterministic(seed: "alice")
    let bob = PrivateKey.deterministic(seed: "bob")
    let mallory = PrivateKey.deterministic(seed: "mallory")

    func pair(chain: String = "test", known: Set<PublicKey>? = nil, dialling: PublicKey? = nil)
        -> (LinkHandshake, LinkHandshake)
    {
        let allowed = known ?? [alice.publicKey, bob.publicKey]
        let initiator = LinkHandshake(
            role: .initiator, nodeKey: alice, chainID: "test", expectedPeer: dialling ?? bob.publicKey,
            isKnown: { allowed.contains($0) })
        let responder = LinkHandshake(
            role: .responder, nodeKey: bob, chainID: chain, expectedPeer: nil, isKnown: { allowed.contains($0) })
        return (initiator, responder)
    }

    @Test func bothSidesDeriveMirroredKeys() throws {
        var (initiator, responder) = pair()
        let (initiatorKeys, responderKeys) = try handshake(initiator: &initiator, responder: &responder)
        #expect(initiatorKeys.sendKey == responderKeys.receiveKey)
        #expect(initiatorKeys.receiveKey == responderKeys.sendKey)
        #expect(initiatorKeys.sendKey != initiatorKeys.receiveKey)
        #expect(initiator.peerKey == bob.publicKey)
        #expect(responder.peerKey == alice.publicKey)
        #expect(initiator.isEstablished && responder.isEstablished)
    }

    @Test func everyLinkGetsFreshKeys() throws {
        var (i1, r1) = pair()
        var (i2, r2) = pair()
        #expect(try handshake(initiator: &i1, responder: &r1).0.sendKey != handshake(initiator: &i2, responder: &r2).0.sendKey)
    }

    @Test func unknownKeyIsRefused() throws {
        var (initiator, responder) = pair(known: [bob.publicKey])
        #expect(throws: LinkHandshakeError.unknownKey(alice.publicKey)) { try responder.receive(initiator.helloFrame) }
        _ = initiator
    }

    @Test func otherChainIsRefused() throws {
        var (initiator, responder) = pair(chain: "other")
        #expect(throws: LinkHandshakeError.wrongChain) { try responder.receive(initiator.helloFrame) }
        _ = initiator
    }

    @Test func answerFromAnotherKeyThanDialledIsRefused() throws {
        var (initiator, responder) = pair(dialling: mallory.publicKey)
        #expect(throws: LinkHandshakeError.unexpectedKey(expected: mallory.publicKey, actual: bob.publicKey)) {
            try initiator.receive(responder.helloFrame)
        }
    }

    /// Mallory replays Bob's hello (which she can see on the wire) but cannot sign the
    /// transcript with Bob's key.
    @Test func impersonationWithoutTheKeyFailsAtAuth() throws {
        var (initiator, responder) = pair()
        let bobHello = responder.helloFrame
        _ = try responder.receive(initiator.helloFrame)
        let (_, _) = try initiator.receive(bobHello)
        let forged = LinkAuth(signature: mallory.sign(Array(repeating: 0, count: 33), domain: .peerHandshake))
        #expect(throws: LinkHandshakeError.badSignature) { try initiator.receive(forged.wireBytes) }
    }

    /// A side's own Auth sent back to it must not verify: the role is signed.
    @Test func reflectedAuthIsRefused() throws {
        var (initiator, responder) = pair()
        _ = try responder.receive(initiator.helloFrame)
        let (ownAuth, _) = try initiator.receive(responder.helloFrame)
        #expect(throws: LinkHandshakeError.self) { try initiator.receive(try #require(ownAuth)) }
    }

    @Test func malformedHelloIsRefused() {
        var (_, responder) = pair()
        #expect(throws: LinkHandshakeError.self) { try responder.receive([1, 2, 3]) }
        #expect(throws: LinkHandshakeError.unexpectedFrame) { try responder.receive([1, 2, 3]) }
    }

    @Test func cipherRoundTripsAndRefusesReplayAndReorder() throws {
        var (initiator, responder) = pair()
        let (initiatorKeys, responderKeys) = try handshake(initiator: &initiator, responder: &responder)
        var sender = LinkCipher(keys: initiatorKeys)
        var receiver = LinkCipher(keys: responderKeys)
        let first = sender.seal([1, 2, 3])
        let second = sender.seal([4])
        #expect(try receiver.open(first) == [1, 2, 3])
        #expect(throws: LinkCryptoError.authenticationFailed) { try receiver.open(first) }
        #expect(try receiver.open(second) == [4])

        var fresh = LinkCipher(keys: responderKeys)
        #expect(throws: LinkCryptoError.authenticationFailed) { try fresh.open(second) }
    }

    /// The pre-authentication frame bound is exactly the larger handshake message, and
    /// far below the bound on an authenticated link.
    @Test func handshakeFrameBoundFollowsTheMessageEncodings() throws {
        var (initiator, responder) = pair()
        let hello = initiator.helloFrame
        let (auth, _) = try responder.receive(hello)
        #expect(hello.count == LinkHello.wireByteCount)
        #expect(try #require(auth).count == LinkAuth.wireByteCount)
        #expect(LinkHandshake.frameBytesMax == max(LinkHello.wireByteCount, LinkAuth.wireByteCount))
        #expect(LinkHandshake.frameBytesMax < PeerNetworkConfig.frameBytesMin)
        #expect(LinkHandshake.frameBytesMax < 100, "the handshake messages are under 100 bytes")
        _ = initiator
    }

    @Test func everyHandshakeErrorHasARefusalReason() {
        #expect(LinkHandshakeError.wrongChain.refusal == .wrongChain)
        #expect(LinkHandshakeError.badSignature.refusal == .badSignature)
        #expect(LinkHandshakeError.unknownKey(alice.publicKey).refusal == .unknownKey)
        #expect(LinkHandshakeError.selfConnection.refusal == .unexpectedKey)
        #expect(LinkHandshakeError.malformed("short").refusal == .malformed)
        #expect(LinkHandshakeError.unsupportedVersion(9).refusal == .unsupportedVersion)
    }
}
