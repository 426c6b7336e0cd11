import PBFT
import PoECrypto
import PoENodeCore

/// The simulated network: loss, duplication, heavy-tailed delay, partitions.
extension Simulation {
    /// What a node's interpreter sends (to one peer, or to every other node when `peer`
    /// is nil). A Byzantine node's consensus messages are rewritten on their way out.
    func outgoing(_ index: Int, _ message: PeerMessage, to peer: PublicKey?) {
        let targets = peer.map { [indexOfKey[$0]!] } ?? nodes.indices.filter { $0 != index }
        switch message {
        case .consensus(let consensus):
            guard let behaviour = nodes[index].behaviour else {
                if nodes[index].honest { checks.signedOnce(consensus, by: index) }
                for target in targets { send(message, from: index, to: target) }
                return
            }
            misbehave(index, behaviour, consensus, to: targets)
        case .stateResponse(let sequence, let archive) where nodes[index].behaviour != nil:
            // A Byzantine peer serves a forged state; the receiver must refuse it.
            var forged = archive
            if !forged.isEmpty { forged[forged.count / 2] ^= 0x5A }
            for target in targets { send(.stateResponse(sequence: sequence, archive: forged), from: index, to: target) }
        case .request, .blobRequest, .blobResponse, .stateRequest, .stateResponse:
            for target in targets { send(message, from: index, to: target) }
        }
    }

    func send(_ message: PeerMessage, from source: Int, to target: Int) {
        if blocked.contains(link(source, target)) { return }
        if !healed && rng.chance(perMillion: lossPerMillion) { return }
        queue.push(.deliver(to: target, from: source, message), at: now + delay())
        if !healed && rng.chance(perMillion: duplicatePerMillion) {
            queue.push(.deliver(to: target, from: source, message), at: now + delay())
        }
    }

    /// 1-10 ms, with a heavy tail (up to 640 ms more) before healing.
    func delay() -> UInt64 {
        var result = rng.inRange(1...10)
        if !healed && rng.chance(perMillion: tailPerMillion) { result += 10 << rng.below(7) }
        return result
    }

    func link(_ from: Int, _ to: Int) -> Int { from * 64 + to }

    func partition() {
        let n = nodes.count
        let primary = Int(config.primary(of: nodes.compactMap { $0.core?.replica.view }.max() ?? 0))
        switch rng.below(3) {
        case 0:
            var side: Set<Int> = []
            for index in 0..<n where rng.below(2) == 0 { side.insert(index) }
            for a in 0..<n { for b in 0..<n where side.contains(a) != side.contains(b) { blocked.insert(link(a, b)) } }
            log("partition: halves \(side.sorted())")
        case 1:
            for other in 0..<n where other != primary {
                blocked.insert(link(primary, other))
                blocked.insert(link(other, primary))
            }
            log("partition: primary \(primary) isolated")
        default:
            for _ in 0..<n {
                let a = rng.below(n)
                let b = rng.below(n)
                if a != b { blocked.insert(link(a, b)) }
            }
            log("partition: asymmetric, \(blocked.count) one-way links down")
        }
    }
}
