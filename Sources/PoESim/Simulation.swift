import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoENodeCore
import PoEWire

/// One seeded run: whole validators — the real `NodeCore` interpreter over the real
/// replica, duties and ledger — over a simulated network, clock, disk and executor.
final class Simulation {
    enum Event {
        case deliver(to: Int, from: Int, PeerMessage)
        case tick(Int)
        case crash(Int)
        case restart(Int)
        case crashAll
        case restartAll
        case partition
        case heal
        case endSafetyPhase
        case jobDone(Int, incarnation: Int, jobID: Digest, NodeInput)
        case clientTimer(Int, generation: Int)
    }

    struct Node {
        let key: PrivateKey
        let disk: SimDisk
        var core: NodeCore?
        var incarnation = 0
        let behaviour: ByzantineBehaviour?
        let fault: FaultMode?
        var recent: [Message] = []
        var runningJobs = 0
        /// Stopped for good: it found it could not go on without breaking a promise.
        var halted = false
        var honest: Bool { behaviour == nil && fault == nil }
    }

    static let tickMs: UInt64 = 10
    static let recentMax = 32
    static let chainID = "poe-sim"

    let options: SimOptions
    var rng: SimRandom
    let genesis: Genesis
    let config: Config
    let keys: [PrivateKey]
    let indexOfKey: [PublicKey: Int]
    /// One cache for the whole cluster: verifying is a pure function, and the nodes of a
    /// run all check the same signatures.
    let signatures = SignatureCache()
    var nodes: [Node] = []
    var queue = EventQueue<Event>()
    var now: UInt64 = 0
    lazy var validator = MessageValidator(config: config) { [unowned self] key, signature, bytes, domain in
        self.signatures.verify(signature, by: key, for: bytes, domain: domain)
    }

    var lossPerMillion: UInt64 = 0
    var duplicatePerMillion: UInt64 = 0
    var tailPerMillion: UInt64 = 0
    var midStepCrashPerMillion: UInt64 = 0
    var runnerSlots = 1
    var blocked: Set<Int> = []
    var healed = false

    var clients: [SimClient] = []
    var checks = SimChecks()
    var crashCount = 0
    var allCrashCount = 0

    init(options: SimOptions) {
        self.options = options
        rng = SimRandom(seed: options.seed)
        var replicaCount = 4
        if let requested = options.replicaCount { replicaCount = requested } else if rng.below(2) == 1 { replicaCount = 7 }
        let keys = (0..<replicaCount).map { PrivateKey.deterministic(seed: "sim-replica-\($0)") }
        self.keys = keys
        indexOfKey = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1.publicKey, $0) })
        let clientKeys = (0..<options.clients).map { PrivateKey.deterministic(seed: "sim-client-\($0)") }
        genesis = Simulation.genesis(replicas: keys, clients: clientKeys)
        var config = Config(
            chainID: Digest.sha256(Simulation.chainID), replicas: keys.map(\.publicKey),
            checkpointInterval: 4, windowSize: 8, batchSizeMax: Int(rng.inRange(1...4)),
            batchDelayTicks: rng.inRange(0...2), viewChangeTimeoutTicks: 30, retransmitTicks: 20,
            pendingRequestsMax: 64, clientTableMax: 64, emptyBatchTicks: rng.inRange(2...10))
        config.unsafeIgnorePreparedCertificatesInNewView = options.unsafeIgnorePreparedCertificates
        self.config = config
        clients = clientKeys.map { SimClient(key: $0) }
        drawFaults()
        for index in nodes.indices { start(index) }
    }

    static func genesis(replicas: [PrivateKey], clients: [PrivateKey]) -> Genesis {
        let validators = replicas.enumerated().map { index, key in
            GenesisValidator(
                account: PrivateKey.deterministic(seed: "sim-account-\(index)").publicKey, nodeKey: key.publicKey,
                bond: 10_000, endpoint: "127.0.0.1:\(10_000 + index)")
        }
        let parameters = LedgerParameters(
            minimumStake: 1_000, wrongResultSlashBasisPoints: 1_000, equivocationSlashBasisPoints: 5_000,
            jobDeadlineHeightsMax: 100_000, epochLengthHeights: 1 << 32, unbondingDelayHeights: 100)
        return Genesis(
            chainID: chainID, accounts: clients.map { GenesisAccount(key: $0.publicKey, balance: 1_000_000) },
            validators: validators, parameters: parameters)
    }

    private func drawFaults() {
        let n = config.replicaCount
        let faultsMax = config.quorum.faultsMax
        var byzantine: [Int: (ByzantineBehaviour?, FaultMode?)] = [:]
        if let behaviour = options.byzantineOverride, faultsMax > 0 {
            byzantine[0] = (behaviour, nil)
            while byzantine.count < faultsMax { byzantine[rng.below(n)] = (behaviour, nil) }
        } else if let fault = options.dutyFaultOverride, faultsMax > 0 {
            while byzantine.count < faultsMax { byzantine[rng.below(n)] = (nil, fault) }
        } else if options.byzantine {
            let count = rng.below(faultsMax + 1)
            while byzantine.count < count {
                let behaviour = rng.below(2) == 0 ? ByzantineBehaviour.allCases[rng.below(ByzantineBehaviour.allCases.count)] : nil
                let fault = behaviour == nil || rng.below(2) == 0 ? FaultMode.allCases[rng.below(FaultMode.allCases.count)] : nil
                byzantine[rng.below(n)] = (behaviour, fault)
            }
        }
        for index in 0..<n {
            let ledger: Ledger
            do { ledger = try Ledger.open(path: nil, genesis: genesis, signatures: signatures) } catch {
                preconditionFailure("an in-memory ledger must open: \(error)")
            }
            let lie = byzantine[index]
            nodes.append(Node(key: keys[index], disk: SimDisk(ledger: ledger), behaviour: lie?.0, fault: lie?.1))
        }
        if options.networkFaults {
            lossPerMillion = rng.inRange(0...150_000)
            duplicatePerMillion = rng.inRange(0...100_000)
            tailPerMillion = rng.inRange(0...100_000)
        }
        if options.crashes { midStepCrashPerMillion = rng.inRange(0...5_000) }
        runnerSlots = Int(rng.inRange(1...4))
    }

    var byzantineCount: Int { nodes.filter { !$0.honest }.count }
    /// The ledger heights of the honest nodes that run.
    var honestHeights: [UInt64] { nodes.filter(\.honest).compactMap { $0.core?.status.height } }
    var weak: Int { config.quorum.weak }

    func log(_ text: @autoclosure () -> String) {
        if options.verbose { print("[\(now) ms] \(text())") }
    }

    func violation(_ text: String) { checks.violation(text) }

    // MARK: running

    func run() -> SimResult {
        schedulePlan()
        let deadline = options.safetyMs + options.livenessMs
        checks.verbose = options.verbose
        // Once the clients are done: the height every honest node must reach with no more
        // traffic (an idle chain must not leave a node behind), and since when.
        var done: (height: UInt64, at: UInt64)?
        while let (time, event) = queue.pop() {
            now = time
            checks.now = time
            if done == nil && now > deadline {
                violation("liveness: \(clientsUnfinished) of \(clients.count) clients not done \(options.livenessMs) ms after healing: \(unfinishedWork)")
                break
            }
            handle(event)
            if checks.violations.count >= 20 { break }
            guard healed && clientsUnfinished == 0, case .tick(0) = event else { continue }
            if done == nil { done = (honestHeights.max() ?? 0, now) }
            guard let (height, since) = done else { continue }
            if honestHeights.allSatisfy({ $0 >= height }) { break }
            if now - since > options.convergenceMs {
                violation("convergence: on an idle chain, honest heights \(honestHeights) stay below \(height) for \(options.convergenceMs) ms")
                break
            }
        }
        checkAtEnd()
        return result()
    }

    private func schedulePlan() {
        for index in nodes.indices { queue.push(.tick(index), at: rng.inRange(1...Simulation.tickMs)) }
        for index in clients.indices { queue.push(.clientTimer(index, generation: 0), at: rng.inRange(0...100)) }
        queue.push(.endSafetyPhase, at: options.safetyMs)
        if options.crashes {
            for _ in 0..<rng.below(5) {
                let node = rng.below(nodes.count)
                guard nodes[node].honest else { continue }
                let at = rng.inRange(0...options.safetyMs)
                queue.push(.crash(node), at: at)
                queue.push(.restart(node), at: at + rng.inRange(50...1_500))
            }
            // Every node at once, as a power cut in one data centre would.
            if rng.below(3) == 0 || options.crashAllAtOnce {
                let at = rng.inRange(200...options.safetyMs)
                queue.push(.crashAll, at: at)
                queue.push(.restartAll, at: at + rng.inRange(20...1_000))
            }
        }
        if options.networkFaults {
            for _ in 0..<rng.below(4) {
                let at = rng.inRange(0...options.safetyMs)
                queue.push(.partition, at: at)
                queue.push(.heal, at: at + rng.inRange(100...1_500))
            }
        }
    }

    private func handle(_ event: Event) {
        switch event {
        case .deliver(let to, let from, let message): deliver(message, to: to, from: from)
        case .tick(let index):
            queue.push(.tick(index), at: now + Simulation.tickMs)
            tick(index)
        case .crash(let index): crash(index)
        case .restart(let index): restart(index)
        case .crashAll:
            log("every node crashes at once")
            allCrashCount += 1
            for index in nodes.indices { crash(index) }
        case .restartAll:
            for index in nodes.indices { restart(index) }
        case .partition: partition()
        case .heal:
            if !blocked.isEmpty { log("partition healed") }
            blocked = []
        case .endSafetyPhase: endSafetyPhase()
        case .jobDone(let index, let incarnation, let jobID, let input): jobDone(index, incarnation, jobID, input)
        case .clientTimer(let index, let generation): clientTimer(index, generation: generation)
        }
    }

    private func endSafetyPhase() {
        log("safety phase over: healing the network, restarting crashed nodes")
        healed = true
        blocked = []
        for index in nodes.indices where nodes[index].core == nil { restart(index) }
    }

    // MARK: nodes

    /// Feeds one input to a node's interpreter; a `NodeHalt` from its world is a crash
    /// in the middle of the step.
    func handle(_ index: Int, _ input: NodeInput) {
        guard let core = nodes[index].core else { return }
        do {
            try core.handle([input])
        } catch {
            log("node \(index) crashes in the middle of a step")
            crash(index)
            queue.push(.restart(index), at: now + rng.inRange(20...500))
            return
        }
        afterStep(index)
    }

    private func tick(_ index: Int) {
        guard let before = nodes[index].core?.replica.view else { return }
        handle(index, .tick)
        if let after = nodes[index].core?.replica.view, after != before { log("node \(index) moves to view \(after)") }
        if let behaviour = nodes[index].behaviour { misbehaveOnTick(index, behaviour) }
    }

    private func deliver(_ message: PeerMessage, to index: Int, from source: Int) {
        guard nodes[index].core != nil else { return }
        checks.messagesDelivered += 1
        if case .consensus(let consensus) = message, !nodes[index].honest {
            nodes[index].recent.append(consensus)
            if nodes[index].recent.count > Simulation.recentMax { nodes[index].recent.removeFirst() }
        }
        if case .request(let request) = message, nodes[index].behaviour == .censor, request.client == clients[0].key.publicKey {
            return
        }
        handle(index, .peer(keys[source].publicKey, message.wireBytes))
    }

    private func start(_ index: Int) {
        precondition(nodes[index].core == nil, "node \(index) is already running")
        nodes[index].incarnation += 1
        let environment = SimEnvironment(
            simulation: self, index: index, incarnation: nodes[index].incarnation, disk: nodes[index].disk)
        var duties = Duties.Settings(chainID: genesis.chainID, fault: nodes[index].fault)
        duties.retryTicks = 5
        duties.requestResendTicks = 30
        duties.attestationResubmitHeights = 8
        duties.unsafeIgnoreJobsAfterStateInstall = options.unsafeIgnoreJobsAfterStateInstall
        let core: NodeCore
        do {
            core = try NodeCore(
                settings: NodeCore.Settings(name: "sim-\(index)", duties: duties), genesis: genesis, config: config,
                nodeKey: keys[index], ledger: nodes[index].disk.ledger, restoring: nodes[index].disk.records,
                signatures: signatures, environment: environment)
        } catch {
            preconditionFailure("a simulated node must start: \(error)")
        }
        nodes[index].core = core
        nodes[index].runningJobs = 0
        do { try core.start() } catch {
            log("node \(index) crashes while starting")
            crash(index)
            queue.push(.restart(index), at: now + rng.inRange(20...500))
            return
        }
        checkRestart(index)
        afterStep(index)
    }

    private func crash(_ index: Int) {
        guard nodes[index].core != nil else { return }
        crashCount += 1
        nodes[index].core = nil
        log("node \(index) crashed")
    }

    /// A node refused to go on (its ledger refused a committed batch): for an honest
    /// node that is a broken promise of consensus, so a violation; the node stays down.
    func halted(_ index: Int, _ reason: String) -> NodeHalt {
        if nodes[index].honest { violation("node \(index) stopped: \(reason)") }
        nodes[index].halted = true
        return NodeHalt()
    }

    private func restart(_ index: Int) {
        guard nodes[index].core == nil, !nodes[index].halted else { return }
        log("node \(index) restarts from \(nodes[index].disk.records.count) records, ledger height \((try? nodes[index].disk.ledger.height()) ?? 0)")
        start(index)
    }

    /// The world's side of `persist`: the records reach the simulated disk — or, now and
    /// then before healing, the node crashes there, with or without them on disk.
    func persist(_ index: Int, _ records: [PersistedRecord]) throws(NodeHalt) {
        let crashes = !healed && nodes[index].honest && rng.chance(perMillion: midStepCrashPerMillion)
        let written = !crashes || rng.below(2) == 0
        if written {
            for record in records {
                // A signature counts from the moment it is persisted, sent or not.
                if nodes[index].honest, case .signed(let message) = record { checks.signedOnce(message, by: index) }
                nodes[index].disk.records.append(record)
                if case .stableCheckpoint = record { nodes[index].disk.records = PersistedRecord.compact(nodes[index].disk.records) }
            }
        }
        if crashes { throw NodeHalt() }
    }

    // MARK: jobs

    /// The executor stand-in: reads the code and input from the node's own store (as the
    /// real executor does, checking their hashes) and answers after a simulated run time
    /// with a digest that depends only on the job. Some runs are slow.
    func startJob(_ index: Int, incarnation: Int, _ assignment: JobAssignment) -> Bool {
        guard nodes[index].runningJobs < runnerSlots else { return false }
        nodes[index].runningJobs += 1
        let blobs = nodes[index].disk.blobs
        let input: NodeInput
        if let unreadable = [assignment.codeHash, assignment.spec.inputHash].first(where: {
            (try? blobs.read($0)).map { Digest.sha256($0) } != $0
        }) {
            input = .jobNotRun(jobID: assignment.jobID, .blobUnreadable(unreadable))
        } else {
            input = .jobFinished(jobID: assignment.jobID, Simulation.honestResult(assignment))
        }
        let runMs = rng.below(10) == 0 ? rng.inRange(300...3_000) : rng.inRange(5...80)
        queue.push(.jobDone(index, incarnation: incarnation, jobID: assignment.jobID, input), at: now + runMs)
        return true
    }

    static func honestResult(_ assignment: JobAssignment) -> JobResult {
        var material = Array("poe-sim/result".utf8)
        material += assignment.jobID.bytes + assignment.codeHash.bytes + assignment.spec.inputHash.bytes
        let digest = Digest.sha256(material)
        // The executor's encoding of success with exit code 0: a tag 0, then the code.
        return JobResult(
            resultDigest: digest, profile: Digest.sha256("poe-sim/profile"), outcome: [0, 0, 0, 0, 0],
            outputHash: Digest.sha256(digest.bytes + [1]), logHash: Digest.sha256(digest.bytes + [2]),
            fuelUsed: UInt64(digest.bytes[0]) * 1_000)
    }

    private func jobDone(_ index: Int, _ incarnation: Int, _ jobID: Digest, _ input: NodeInput) {
        // A crash loses the run: the restarted node runs the job again.
        guard nodes[index].incarnation == incarnation, nodes[index].core != nil else { return }
        nodes[index].runningJobs -= 1
        handle(index, input)
    }
}

extension Simulation {
    /// The validators whose bond an honest node's ledger shows reduced, by index.
    func slashedValidators() -> [Int] {
        guard let ledger = nodes.first(where: { $0.honest && $0.core != nil })?.core?.ledger else { return [] }
        return nodes.indices.filter { index in
            ((try? ledger.validator(nodeKey: keys[index].publicKey)) ?? nil).map { $0.bond < 10_000 } ?? false
        }
    }

    func result() -> SimResult {
        for (index, node) in nodes.enumerated() {
            guard let core = node.core else { log("node \(index): down"); continue }
            let replica = core.replica
            log("node \(index): view \(replica.view) \(replica.status) executed \(replica.lastExecuted) stable \(replica.stable.sequence) transfer \(replica.stateTransfer?.sequence ?? 0) \(replica.counters) \(replica.footprint) duties \(core.duties.counters)")
        }
        let lies = nodes.enumerated().compactMap { index, node -> String? in
            guard !node.honest else { return nil }
            return "\(index):" + [node.behaviour?.rawValue, node.fault?.rawValue].compactMap { $0 }.joined(separator: "+")
        }
        let total = clients.count * options.requestsPerClient
        let summary = "seed=\(options.seed) n=\(nodes.count) byzantine=[\(lies.joined(separator: ","))] "
            + "loss=\(lossPerMillion / 10_000)% dup=\(duplicatePerMillion / 10_000)% tail=\(tailPerMillion / 10_000)% "
            + "batch=\(config.batchSizeMax) operations=\(operationsDone)/\(total) jobs=\(checks.jobsAnchored.count) "
            + "view=\(checks.highestView) crashes=\(crashCount) all-at-once=\(allCrashCount) "
            + "transfers=\(checks.stateTransfers) resumes=\(checks.localResumes) empty=\(checks.emptyHeights.count) "
            + "messages=\(checks.messagesDelivered) t=\(now)ms"
        return SimResult(
            seed: options.seed, replicaCount: nodes.count, byzantineCount: byzantineCount, violations: checks.violations,
            requestsCompleted: operationsDone, requestsTotal: total, jobsFinalized: checks.jobsAnchored.count,
            simulatedMs: now, messagesDelivered: checks.messagesDelivered, highestView: checks.highestView,
            crashes: crashCount, allNodeCrashes: allCrashCount, stateTransfers: checks.stateTransfers,
            localResumes: checks.localResumes, emptyBatches: checks.emptyHeights.count, slashed: slashedValidators(),
            faulty: nodes.indices.filter { !nodes[$0].honest }, summary: summary)
    }
}
