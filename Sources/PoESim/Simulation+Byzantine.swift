import PBFT
import PoECrypto
import PoENodeCore

/// What Byzantine replicas do to their traffic. Each runs the real node code; these
/// rewrite its consensus output with its own key, so the lies are properly signed.
extension Simulation {
    func misbehave(_ index: Int, _ behaviour: ByzantineBehaviour, _ message: Message, to targets: [Int]) {
        switch behaviour {
        case .silent: return
        case .invalidSignatures:
            for target in targets { send(.consensus(corrupted(message)), from: index, to: target) }
        case .equivocatingPrimary:
            guard case .prePrepare(let m) = message, Int(m.sender) == index else {
                for target in targets { send(.consensus(message), from: index, to: target) }
                return
            }
            let other = Batch(requests: Array(m.payload.batch.requests.dropLast()))
            let lie = Message.prePrepare(Signed(
                signing: PrePrepare(view: m.payload.view, sequence: m.payload.sequence, batch: other),
                as: m.sender, key: keys[index], config: config))
            for target in targets { send(.consensus(target % 2 == 0 ? message : lie), from: index, to: target) }
        case .replay, .farFuture, .viewChangeSpam, .censor:
            for target in targets { send(.consensus(message), from: index, to: target) }
        }
    }

    func misbehaveOnTick(_ index: Int, _ behaviour: ByzantineBehaviour) {
        guard let replica = nodes[index].core?.replica else { return }
        let me = ReplicaID(index)
        let key = keys[index]
        switch behaviour {
        case .silent, .invalidSignatures, .equivocatingPrimary, .censor: return
        case .replay:
            for _ in 0..<2 where !nodes[index].recent.isEmpty {
                let message = nodes[index].recent[rng.below(nodes[index].recent.count)]
                let target = rng.below(nodes.count)
                if target != index { send(.consensus(message), from: index, to: target) }
            }
        case .farFuture:
            let far = replica.stable.sequence + config.windowSize + 1 + rng.inRange(0...1_000_000)
            let digest = Digest.sha256("far \(far)")
            let messages: [Message] = [
                .prepare(Signed(signing: Prepare(view: replica.view + 1_000, sequence: far, digest: digest), as: me, key: key, config: config)),
                .commit(Signed(signing: Commit(view: replica.view, sequence: far, digest: digest), as: me, key: key, config: config)),
                .checkpoint(Signed(signing: Checkpoint(sequence: (far / config.checkpointInterval + 1) * config.checkpointInterval, stateDigest: digest),
                                   as: me, key: key, config: config)),
            ]
            for message in messages { for target in nodes.indices where target != index { send(.consensus(message), from: index, to: target) } }
        case .viewChangeSpam:
            let stable = replica.stable
            let change = ViewChange(newView: replica.view + 1 + rng.inRange(0...1_000), stableSequence: stable.sequence,
                                    stableDigest: stable.digest, checkpointProof: stable.proof, prepared: [])
            let message = Message.viewChange(Signed(signing: change, as: me, key: key, config: config))
            for target in nodes.indices where target != index { send(.consensus(message), from: index, to: target) }
        }
    }

    private func corrupted(_ message: Message) -> Message {
        func flip(_ signature: Signature) -> Signature {
            var bytes = signature.bytes
            bytes[0] ^= 0x01
            return (try? Signature(bytes: bytes)) ?? signature
        }
        switch message {
        case .prePrepare(let m): return .prePrepare(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .prepare(let m): return .prepare(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .commit(let m): return .commit(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .checkpoint(let m): return .checkpoint(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .viewChange(let m): return .viewChange(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .newView(let m): return .newView(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        case .status(let m): return .status(Signed(sender: m.sender, payload: m.payload, signature: flip(m.signature)))
        }
    }
}
