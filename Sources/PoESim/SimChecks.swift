import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoENodeCore
import PoEWire

/// Everything the simulator checks, over one history of the whole cluster.
struct SimChecks {
    struct SignKey: Hashable {
        let sender: ReplicaID
        let phase: Phase
        let view: UInt64
        let sequence: UInt64
    }

    var violations: [String] = []
    var messagesDelivered = 0
    /// Per height, the batch digest honest nodes applied (agreement).
    var batchDigests: [UInt64: Digest] = [:]
    var emptyHeights: Set<UInt64> = []
    var signedDigests: [SignKey: Digest] = [:]
    var stableDigests: [UInt64: Digest] = [:]
    /// Per checkpoint height, the ledger root honest nodes archived.
    var roots: [UInt64: Digest] = [:]
    /// Per node, where each transaction it applied was ordered (kept across its crashes).
    var applied: [Int: [Digest: UInt64]] = [:]
    /// Transactions a client saw ordered by f+1 honest nodes, with their height.
    var acknowledgedHeights: [Digest: UInt64] = [:]
    var stateTransfers = 0
    var localResumes = 0
    var jobsAnchored: Set<Digest> = []
    var highestView: UInt64 = 0

    /// The simulated time, set by the simulation before each event.
    var now: UInt64 = 0
    var verbose = false

    mutating func acknowledged(_ id: Digest, height: UInt64) { acknowledgedHeights[id] = height }

    mutating func violation(_ text: String) {
        if violations.count < 20 { violations.append("t=\(now)ms: \(text)") }
        if verbose { print("[\(now) ms] VIOLATION \(text)") }
    }

    /// No honest node signs two different things for one (phase, view, sequence), across
    /// restarts: recorded when persisted (sent or not) and when sent.
    mutating func signedOnce(_ message: Message, by index: Int) {
        // A STATUS commits its sender to nothing: a new one each period is no equivocation.
        guard Int(message.sender) == index, message.phase != .status else { return }
        record(message)
        if case .newView(let m) = message {
            for prePrepare in m.payload.prePrepares { record(.prePrepare(prePrepare)) }
        }
    }

    private mutating func record(_ message: Message) {
        let slot = message.slot
        let sequence: UInt64
        switch message.phase {
        case .viewChange, .newView, .status: sequence = 0
        case .prePrepare, .prepare, .commit, .checkpoint: sequence = slot.sequence
        }
        let key = SignKey(sender: message.sender, phase: message.phase, view: slot.view, sequence: sequence)
        let digest = message.votedDigest
        if let earlier = signedDigests[key], earlier != digest {
            violation("node \(message.sender) signed two different \(message.phase) for view \(slot.view) sequence \(slot.sequence)")
        }
        signedDigests[key] = digest
    }

    /// Agreement, and exactly-once: an honest node applies one batch per height, the same
    /// as every other honest node, and never executes a transaction at two heights.
    mutating func batchApplied(_ receipt: BatchReceipt, node: Int) {
        if let agreed = batchDigests[receipt.height], agreed != receipt.batchDigest {
            violation("agreement: node \(node) applied a different batch at height \(receipt.height)")
        }
        batchDigests[receipt.height] = receipt.batchDigest
        if receipt.results.isEmpty { emptyHeights.insert(receipt.height) }
        for result in receipt.results where result.succeeded {
            if let earlier = applied[node]?[result.transactionID], earlier != receipt.height {
                violation("node \(node) executed transaction \(result.transactionID.short) at heights \(earlier) and \(receipt.height)")
            }
            applied[node, default: [:]][result.transactionID] = receipt.height
        }
    }

    /// The ledger invariants, on a snapshot of an honest node's ledger.
    mutating func ledgerChecked(_ snapshot: LedgerSnapshot, node: Int, honestKeys: Set<PublicKey>) {
        let height = snapshot.meta.height
        if snapshot.accountedSupply != snapshot.meta.minted {
            violation("tokens: node \(node) accounts for \(snapshot.accountedSupply) of \(snapshot.meta.minted) at height \(height)")
        }
        for job in snapshot.jobs where job.status == .pending && job.deadlineHeight < height {
            violation("job \(job.id.short) still pending at height \(height), past its deadline \(job.deadlineHeight)")
        }
        for validator in snapshot.validators where honestKeys.contains(validator.nodeKey) {
            if validator.bond < 10_000 || validator.jailed {
                violation("honest validator \(validator.nodeKey.short) slashed or jailed at height \(height) on node \(node)")
            }
        }
        let jobs = Dictionary(uniqueKeysWithValues: snapshot.jobs.map { ($0.id, $0) })
        for anchor in snapshot.anchors {
            guard let job = jobs[anchor.jobID] else {
                violation("anchor of unknown job \(anchor.jobID.short) on node \(node)")
                continue
            }
            checkHonest(anchor.digest, job: job, node: node)
        }
    }

    mutating func anchorSeen(_ anchor: AnchorEntry, job: JobState, node: Int) {
        jobsAnchored.insert(job.id)
        checkHonest(anchor.digest, job: job, node: node)
    }

    /// With at most f faulty validators, only the honest result can gather a quorum.
    private mutating func checkHonest(_ digest: Digest, job: JobState, node: Int) {
        let honest = Simulation.honestResult(
            JobAssignment(jobID: job.id, codeHash: job.codeHash, spec: job.spec, missingBlobs: [])).resultDigest
        if digest != honest {
            violation("job \(job.id.short) anchored a digest other than the honest one on node \(node)")
        }
    }

    mutating func rootAt(_ height: UInt64, _ root: Digest, node: Int) {
        if let agreed = roots[height], agreed != root {
            violation("node \(node) has a different ledger root at checkpoint \(height)")
        }
        roots[height] = root
    }

    /// A transaction a node applied stays committed, at the same height, after its restarts.
    mutating func checkRemembered(node: Int, core: NodeCore) {
        for (id, height) in (applied[node] ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch core.transactionStatus(id) {
            case .committed(let at, _)? where at == height: continue
            case let other:
                violation("node \(node) forgot transaction \(id.short) committed at \(height): now \(String(describing: other))")
            }
        }
    }
}

extension Simulation {
    /// What a node's interpreter reports, checked as it happens.
    func observed(_ index: Int, _ event: NodeEvent) {
        switch event {
        case .batchApplied(_, _, let receipt):
            guard nodes[index].honest else { return }
            checks.batchApplied(receipt, node: index)
            noteApplied(index, receipt)
        case .checkpointTaken(let sequence, let root):
            guard nodes[index].honest else { return }
            // The node streamed its root; the whole snapshot, read here, checks it too.
            guard let snapshot = try? nodes[index].disk.ledger.snapshot(), snapshot.meta.height == sequence else {
                violation("node \(index) archived checkpoint \(sequence) but its ledger cannot be read at that height")
                return
            }
            if snapshot.stateRoot != root { violation("node \(index) streamed a root at \(sequence) other than its snapshot's") }
            // And the archive it streamed holds that snapshot's very bytes, after the sequence.
            var head = WireWriter()
            head.write(sequence)
            if let archive = nodes[index].disk.checkpoints.archives[sequence],
                !archive.starts(with: head.bytes + snapshot.wireBytes)
            {
                violation("node \(index) archived at \(sequence) bytes other than its snapshot's")
            }
            checks.rootAt(sequence, root, node: index)
            checks.ledgerChecked(snapshot, node: index, honestKeys: honestKeys)
        case .stateInstalled(let sequence, let own):
            if own { checks.localResumes += 1 } else { checks.stateTransfers += 1 }
            log("node \(index) installed the state at \(sequence)\(own ? " from its own archive" : "")")
        case .log(_, let text, let metadata):
            log("node \(index): \(text) \(metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        case .duty: break
        }
    }

    var honestKeys: Set<PublicKey> { Set(nodes.filter(\.honest).map(\.key.publicKey)) }

    /// After every step of a node: its replica within bounds and its stable checkpoint
    /// the same as every other honest node's.
    func afterStep(_ index: Int) {
        guard let replica = nodes[index].core?.replica else { return }
        checks.highestView = max(checks.highestView, replica.view)
        guard nodes[index].honest else { return }
        if !replica.footprintWithinBounds { violation("node \(index) holds more than its bounds: \(replica.footprint)") }
        let stable = replica.stable
        guard stable.sequence > 0 else { return }
        if let agreed = checks.stableDigests[stable.sequence], agreed != stable.digest {
            violation("node \(index) has a different stable checkpoint digest at \(stable.sequence)")
        }
        checks.stableDigests[stable.sequence] = stable.digest
    }

    func checkRestart(_ index: Int) {
        guard nodes[index].honest, let core = nodes[index].core else { return }
        checks.checkRemembered(node: index, core: core)
    }

    /// At the end: every honest ledger passes the ledger checks, and honest ledgers at one
    /// height hold one root.
    func checkAtEnd() {
        var rootsByHeight: [UInt64: Digest] = [:]
        for index in nodes.indices where nodes[index].honest {
            guard let core = nodes[index].core, let snapshot = try? core.ledger.snapshot() else { continue }
            checks.checkRemembered(node: index, core: core)
            checks.ledgerChecked(snapshot, node: index, honestKeys: honestKeys)
            let root = snapshot.stateRoot
            if let agreed = rootsByHeight[snapshot.meta.height], agreed != root {
                violation("honest ledgers differ at height \(snapshot.meta.height) (node \(index))")
            }
            rootsByHeight[snapshot.meta.height] = root
        }
    }
}
