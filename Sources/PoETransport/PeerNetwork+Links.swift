import NIOCore
import NIOPosix
import PoECrypto

// Connections: accepting under the handshake caps, dialling with backoff, and what a
// link reports back.
extension PeerNetwork {
    /// Runs on the accepted channel's event loop before its first read.
    func accept(_ channel: any Channel) throws {
        let connection = ObjectIdentifier(channel)
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        let refusal = state.withLockedValue { state in
            state.stats.connectionsAccepted += 1
            return state.admission.admit(connection, address: address)
        }
        if let refusal {
            try channel.pipeline.syncOperations.addHandler(RefuseOnActiveHandler())
            handshakeFailed(refusal, detail: capDetail(refusal), remote: describeRemote(of: channel), channel: channel)
            return
        }
        // The slot is freed when the handshake ends; this covers a connection that
        // closes before its handler could say so.
        channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { _ = $0.admission.release(connection) }
        }
        try installHandlers(channel, dialling: nil)
    }

    private func capDetail(_ refusal: HandshakeRefusal) -> String {
        switch refusal {
        case .tooManyInHandshake: return "handshakesInProgressMax (\(config.handshakesInProgressMax)) reached"
        case .tooManyFromAddress:
            return "handshakesPerAddressMax (\(config.handshakesPerAddressMax)) reached for this address"
        case .oversizedFrame, .timeout, .unknownKey, .unexpectedKey, .wrongChain, .unsupportedVersion, .badSignature,
            .malformed, .abandoned:
            preconditionFailure("\(refusal) is not a cap")
        }
    }

    private func installHandlers(_ channel: any Channel, dialling peer: PublicKey?) throws {
        let handshake = LinkHandshake(
            role: peer == nil ? .responder : .initiator, nodeKey: config.nodeKey, chainID: config.chainID,
            expectedPeer: peer, isKnown: { [self] key in state.withLockedValue { $0.peers[key] != nil } })
        let decoder = FrameDecoder(
            handshakeFrameCount: LinkHandshake.peerFrameCount, handshakeFrameBytesMax: LinkHandshake.frameBytesMax,
            frameBytesMax: config.frameBytesMax)
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
        try channel.pipeline.syncOperations.addHandler(
            PeerLinkHandler(
                handshake: handshake, delegate: self,
                handshakeTimeout: .milliseconds(config.handshakeTimeoutMilliseconds)))
    }

    func dial(_ peer: PublicKey) {
        let address = state.withLockedValue { state -> PeerAddress? in
            guard !state.stopped, config.dials(peer), let address = state.peers[peer], state.links[peer] == nil,
                state.dialling.insert(peer).inserted
            else { return nil }
            return address
        }
        guard let address else { return }
        ClientBootstrap(group: group)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture { try self.installHandlers(channel, dialling: peer) }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel): channel.closeFuture.whenComplete { [self] _ in dialEnded(peer) }
                case .failure: dialEnded(peer)
                }
            }
    }

    private func dialEnded(_ peer: PublicKey) {
        let delay = state.withLockedValue { state -> TimeAmount? in
            let removed = state.dialling.remove(peer)
            precondition(removed != nil, "a dial ends once")
            guard !state.stopped, state.peers[peer] != nil else { return nil }
            let delay = state.reconnectDelay[peer] ?? config.reconnectDelayMin
            state.reconnectDelay[peer] = min(delay * 2, config.reconnectDelayMax)
            return delay
        }
        guard let delay else { return }
        group.next().scheduleTask(in: delay) { [self] in dial(peer) }
    }

    // MARK: refusals

    /// Counts a refusal and returns its event, unless its reason was reported within
    /// the interval; then a summary follows at the interval's end. The summary's timer
    /// is scheduled under the lock, so that `stop` cancels every one (a timer left on a
    /// group being shut down would never complete).
    private func countRefusal(_ refusal: HandshakeRefusal, detail: String, remote: String, in state: inout State)
        -> PeerEvent?
    {
        state.stats.handshakesRefusedByReason[refusal, default: 0] += 1
        switch state.refusalReports.refusal(refusal, nowNanoseconds: NIODeadline.now().uptimeNanoseconds) {
        case .report:
            return .handshakeRefused(remote: remote, reason: refusal, detail: detail)
        case .suppress(let flushAfterNanoseconds):
            state.stats.refusalEventsSuppressed += 1
            if let flushAfterNanoseconds, !state.stopped {
                precondition(state.refusalFlushes[refusal] == nil, "one summary timer per reason")
                state.refusalFlushes[refusal] = group.next().scheduleTask(
                    in: .nanoseconds(Int64(flushAfterNanoseconds))
                ) { [self] in flushRefusals(refusal) }
            }
            return nil
        }
    }

    private func flushRefusals(_ refusal: HandshakeRefusal) {
        let count = state.withLockedValue { state in
            state.refusalFlushes[refusal] = nil
            return state.refusalReports.flush(refusal, nowNanoseconds: NIODeadline.now().uptimeNanoseconds)
        }
        if count > 0 { events(.handshakeRefusalsSuppressed(reason: refusal, count: count)) }
    }

    // MARK: PeerLinkDelegate

    func handshakeFailed(_ refusal: HandshakeRefusal, detail: String, remote: String, channel: any Channel) {
        let event = state.withLockedValue { state in
            state.admission.release(ObjectIdentifier(channel))
            return countRefusal(refusal, detail: detail, remote: remote, in: &state)
        }
        if let event { events(event) }
    }

    private enum Establishment {
        case up(replaced: (any Channel)?, backlog: [[UInt8]])
        /// Not taken: the set changed during the handshake (counted), or the network stopped.
        case refused(PeerEvent?)
    }

    func linkEstablished(_ peer: PublicKey, channel: any Channel) -> Bool {
        let remote = describeRemote(of: channel)
        let outcome = state.withLockedValue { state -> Establishment in
            state.admission.release(ObjectIdentifier(channel))
            guard !state.stopped else { return .refused(nil) }
            // The set may have changed between this peer's Hello and its Auth.
            guard state.peers[peer] != nil else {
                let detail = "\(peer.short) left the peer set during its handshake"
                return .refused(countRefusal(.unknownKey, detail: detail, remote: remote, in: &state))
            }
            let replaced = state.removeLink(peer)
            state.links[peer] = channel
            state.inFlight[peer] = (0, 0)
            state.reconnectDelay[peer] = nil
            state.stats.linksEstablished += 1
            state.checkLinkCount()
            return .up(replaced: replaced, backlog: state.backlog.removeValue(forKey: peer)?.frames ?? [])
        }
        switch outcome {
        case .refused(let event):
            if let event { events(event) }
            return false
        case .up(let replaced, let backlog):
            if let replaced {
                events(.linkDown(peer: peer, reason: .replaced))
                replaced.close(promise: nil)
            }
            events(.linkUp(peer: peer, remote: remote))
            for message in backlog { send(message, to: peer) }
            return true
        }
    }

    func linkClosed(_ peer: PublicKey, channel: any Channel, reason: LinkDownReason) {
        let current = state.withLockedValue { state -> Bool in
            guard let link = state.links[peer], link === channel else { return false }
            _ = state.removeLink(peer)
            if case .broken = reason { state.stats.linksBroken += 1 }
            return true
        }
        // A link taken out by `setPeers`, a newer link or `stop` was reported then.
        if current { events(.linkDown(peer: peer, reason: reason)) }
    }

    func received(_ message: [UInt8], from peer: PublicKey, channel: any Channel) {
        // Only the current link of an admitted key delivers: not one just replaced or removed.
        let current = state.withLockedValue { state -> Bool in
            guard let link = state.links[peer], link === channel else { return false }
            state.stats.framesReceived += 1
            return true
        }
        if current { onMessage(peer, message) }
    }

    /// A frame written to `link` left the queue (flushed, or failed with the link): it
    /// counts against that link only, not against one that replaced it.
    func frameFlushed(to peer: PublicKey, bytes: Int, on link: any Channel) {
        state.withLockedValue { state in
            guard let current = state.links[peer], current === link, let inFlight = state.inFlight[peer] else { return }
            precondition(inFlight.frames > 0 && inFlight.bytes >= bytes, "a flushed frame was counted in flight")
            state.inFlight[peer] = (inFlight.frames - 1, inFlight.bytes - bytes)
        }
    }
}
