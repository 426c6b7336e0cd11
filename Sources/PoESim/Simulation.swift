import PBFT
import PoECrypto
import PoEWire

/// One seeded run: real replicas over a simulated network, clock and disk.
final class Simulation {
    enum Event {
        case deliver(to: Int, Message)
        case request(to: Int, ClientRequest)
        case tick(Int)
        case crash(Int)
        case restart(Int)
        case partition
        case heal
        case endSafetyPhase
        case stateReady(Int, StateSnapshot, SimApp.Snapshot)
        case clientTimer(Int, generation: Int)
    }

    struct Node {
        var replica: Replica?
        var disk: [PersistedRecord] = []
        var app: SimApp
        let behaviour: ByzantineBehaviour?
        var recent: [Message] = []
        var stateFetchInFlight = false
        var honest: Bool { behaviour == nil }
    }

    struct Client {
        let key: PrivateKey
        var index = 0
        var current: ClientRequest?
        var generation = 0
    }

    struct SignKey: Hashable {
        let sender: ReplicaID
        let phase: Phase
        let view: UInt64
        let sequence: UInt64
    }

    static let tickMs: UInt64 = 10
    static let recentMax = 32
    static let verifyCacheMax = 200_000

    let options: SimOptions
    var rng: SimRandom
    let config: Config
    let keys: [PrivateKey]
    var nodes: [Node] = []
    var queue = EventQueue<Event>()
    var now: UInt64 = 0
    var verifyCache: [Digest: Bool] = [:]
    lazy var validator = MessageValidator(config: config) { [unowned self] key, signature, bytes, domain in
        self.cachedVerify(key, signature, bytes, domain)
    }

    var lossPerMillion: UInt64 = 0
    var duplicatePerMillion: UInt64 = 0
    var tailPerMillion: UInt64 = 0
    var midStepCrashPerMillion: UInt64 = 0
    var blocked: Set<Int> = []
    var healed = false

    var clients: [Client] = []
    var executors: [RequestKey: Set<Int>] = [:]
    var completed = 0

    var violations: [String] = []
    var deliveredDigests: [UInt64: Digest] = [:]
    var signedDigests: [SignKey: Digest] = [:]
    var stableDigests: [UInt64: Digest] = [:]
    var messagesDelivered = 0
    var crashCount = 0
    var stateTransferCount = 0
    var highestView: UInt64 = 0

    init(options: SimOptions) {
        self.options = options
        rng = SimRandom(seed: options.seed)
        var replicaCount = 4
        if let requested = options.replicaCount { replicaCount = requested } else if rng.below(2) == 1 { replicaCount = 7 }
        let keys = (0..<replicaCount).map { PrivateKey.deterministic(seed: "sim-replica-\($0)") }
        self.keys = keys
        var config = Config(
            chainID: Digest.sha256("poe-sim"), replicas: keys.map(\.publicKey),
            checkpointInterval: 4, windowSize: 8, batchSizeMax: Int(rng.inRange(1...4)),
            batchDelayTicks: rng.inRange(0...2), viewChangeTimeoutTicks: 30, retransmitTicks: 20,
            pendingRequestsMax: 64, clientTableMax: 64, emptyBatchTicks: rng.inRange(2...10))
        config.unsafeIgnorePreparedCertificatesInNewView = options.unsafeIgnorePreparedCertificates
        self.config = config
        drawFaults()
        clients = (0..<options.clients).map { Client(key: PrivateKey.deterministic(seed: "sim-client-\($0)")) }
    }

    private func drawFaults() {
        let n = config.replicaCount
        let faultsMax = config.quorum.faultsMax
        let byzantineCount = options.byzantineOverride != nil ? faultsMax : options.byzantine ? rng.below(faultsMax + 1) : 0
        var byzantineIDs: Set<Int> = options.byzantineOverride != nil && faultsMax > 0 ? [0] : []
        while byzantineIDs.count < byzantineCount { byzantineIDs.insert(rng.below(n)) }
        for index in 0..<n {
            let drawn = ByzantineBehaviour.allCases[rng.below(ByzantineBehaviour.allCases.count)]
            let behaviour = byzantineIDs.contains(index) ? (options.byzantineOverride ?? drawn) : nil
            let replica = Replica(config: config, id: ReplicaID(index), key: keys[index])
            nodes.append(Node(replica: replica, app: SimApp(clientTableMax: config.clientTableMax), behaviour: behaviour))
        }
        if options.networkFaults {
            lossPerMillion = rng.inRange(0...150_000)
            duplicatePerMillion = rng.inRange(0...100_000)
            tailPerMillion = rng.inRange(0...100_000)
        }
        if options.crashes { midStepCrashPerMillion = rng.inRange(0...5_000) }
    }

    var byzantineCount: Int { nodes.filter { !$0.honest }.count }
    var weak: Int { config.quorum.weak }

    func log(_ text: @autoclosure () -> String) {
        if options.verbose { print("[\(now) ms] \(text())") }
    }

    func violation(_ text: String) {
        if violations.count < 20 { violations.append("t=\(now)ms: \(text)") }
        log("VIOLATION \(text)")
    }

    // MARK: running

    func run() -> SimResult {
        schedulePlan()
        let deadline = options.safetyMs + options.livenessMs
        while let (time, event) = queue.pop() {
            now = time
            if now > deadline {
                violation("liveness: \(requestsTotal - completed) of \(requestsTotal) requests not completed \(options.livenessMs) ms after healing")
                break
            }
            handle(event)
            if healed && completed == requestsTotal { break }
            if violations.count >= 20 { break }
        }
        return result()
    }

    var requestsTotal: Int { options.clients * options.requestsPerClient }

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
        case .deliver(let to, let message): deliver(message, to: to)
        case .request(let to, let request): deliverRequest(request, to: to)
        case .tick(let index):
            queue.push(.tick(index), at: now + Simulation.tickMs)
            tick(index)
        case .crash(let index): crash(index)
        case .restart(let index): restart(index)
        case .partition: partition()
        case .heal:
            if !blocked.isEmpty { log("partition healed") }
            blocked = []
        case .endSafetyPhase: endSafetyPhase()
        case .stateReady(let index, let snapshot, let appSnapshot): finishStateTransfer(index, snapshot, appSnapshot)
        case .clientTimer(let index, let generation): clientTimer(index, generation: generation)
        }
    }

    private func endSafetyPhase() {
        log("safety phase over: healing the network, restarting crashed replicas")
        healed = true
        blocked = []
        for index in nodes.indices where nodes[index].replica == nil { restart(index) }
    }

    // MARK: replicas

    func step(_ index: Int, _ event: PBFT.Event) {
        guard nodes[index].replica != nil else { return }
        let actions = nodes[index].replica!.step(event)
        perform(index, actions)
    }

    private func tick(_ index: Int) {
        guard let before = nodes[index].replica?.view else { return }
        step(index, .tick)
        if let after = nodes[index].replica?.view, after != before { log("node \(index) times out, moves to view \(after)") }
        if let behaviour = nodes[index].behaviour { misbehaveOnTick(index, behaviour) }
    }

    private func deliver(_ message: Message, to index: Int) {
        guard let replica = nodes[index].replica else { return }
        messagesDelivered += 1
        if !nodes[index].honest {
            nodes[index].recent.append(message)
            if nodes[index].recent.count > Simulation.recentMax { nodes[index].recent.removeFirst() }
        }
        do throws(ValidationError) {
            try validator.validate(message)
        } catch {
            log("node \(index) refused a message: \(error)")
            return
        }
        let before = replica.view
        step(index, .message(message))
        if let after = nodes[index].replica?.view, after != before { log("node \(index) moves to view \(after)") }
    }

    private func deliverRequest(_ request: ClientRequest, to index: Int) {
        guard nodes[index].replica != nil else { return }
        if nodes[index].behaviour == .censor && request.client == clients[0].key.publicKey { return }
        do throws(ValidationError) {
            try validator.validate(request: request)
        } catch {
            return
        }
        step(index, .request(request))
    }

    /// Performs actions in order; a crash may fall between any two (after a persist and
    /// before its send, in particular).
    private func perform(_ index: Int, _ actions: [Action]) {
        var work = actions
        let crashAt: Int? = !healed && nodes[index].honest && !actions.isEmpty && rng.chance(perMillion: midStepCrashPerMillion)
            ? rng.below(actions.count) : nil
        var position = 0
        while position < work.count {
            if position == crashAt {
                log("node \(index) crashes in the middle of a step (after \(position) of \(actions.count) actions)")
                crash(index)
                queue.push(.restart(index), at: now + rng.inRange(20...500))
                return
            }
            let action = work[position]
            position += 1
            switch action {
            case .persist(let record):
                // A signature counts from the moment it is persisted, sent or not.
                if nodes[index].honest, case .signed(let message) = record { checkSignedOnce(index, message) }
                nodes[index].disk.append(record)
                if case .stableCheckpoint = record { nodes[index].disk = PersistedRecord.compact(nodes[index].disk) }
            case .send(let message, let to): outgoing(index, message, to: [Int(to)])
            case .broadcast(let message): outgoing(index, message, to: nodes.indices.filter { $0 != index })
            case .deliver(let sequence, let requests):
                executed(index, sequence: sequence, requests: requests)
                if sequence % config.checkpointInterval == 0, nodes[index].replica != nil {
                    nodes[index].app.snapshot(at: sequence)
                    let more = nodes[index].replica!.step(.checkpointDigest(sequence: sequence, appDigest: nodes[index].app.chain))
                    work.append(contentsOf: more)
                }
                if nodes[index].replica != nil {
                    work.append(contentsOf: nodes[index].replica!.step(.progressWanted(Simulation.progressWanted(after: sequence))))
                }
            case .fetchState(let sequence, let digest): startStateTransfer(index, sequence: sequence, digest: digest)
            }
        }
        afterStep(index)
    }

    /// Whether the simulated application wants empty batches after executing `sequence`:
    /// a function of replicated state, as the ledger's unsettled jobs are, with stretches
    /// of each answer so that empty batches start and stop under every fault.
    static func progressWanted(after sequence: UInt64) -> Bool { (sequence / 6) % 3 != 2 }

    private func crash(_ index: Int) {
        guard nodes[index].replica != nil else { return }
        crashCount += 1
        nodes[index].replica = nil
        nodes[index].stateFetchInFlight = false
        log("node \(index) crashed")
    }

    private func restart(_ index: Int) {
        guard nodes[index].replica == nil else { return }
        nodes[index].replica = Replica(restoring: nodes[index].disk, config: config, id: ReplicaID(index), key: keys[index])
        nodes[index].app.rollBackToGenesis()
        log("node \(index) restarted from \(nodes[index].disk.count) records in view \(nodes[index].replica!.view)")
    }

    // MARK: network

    private func outgoing(_ index: Int, _ message: Message, to targets: [Int]) {
        guard let behaviour = nodes[index].behaviour else {
            checkSignedOnce(index, message)
            for target in targets { send(message, to: target) }
            return
        }
        misbehave(index, behaviour, message, to: targets)
    }

    func send(_ message: Message, to target: Int, from source: Int? = nil) {
        let from = source ?? Int(message.sender)
        if blocked.contains(link(from, target)) { return }
        if !healed && rng.chance(perMillion: lossPerMillion) { return }
        queue.push(.deliver(to: target, message), at: now + delay())
        if !healed && rng.chance(perMillion: duplicatePerMillion) {
            queue.push(.deliver(to: target, message), at: now + delay())
        }
    }

    /// 1-10 ms, with a heavy tail (up to 640 ms more) before healing.
    private func delay() -> UInt64 {
        var result = rng.inRange(1...10)
        if !healed && rng.chance(perMillion: tailPerMillion) { result += 10 << rng.below(7) }
        return result
    }

    private func link(_ from: Int, _ to: Int) -> Int { from * 64 + to }

    private func partition() {
        let n = nodes.count
        let primary = Int(config.primary(of: nodes.compactMap { $0.replica?.view }.max() ?? 0))
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

    // MARK: clients

    private func clientTimer(_ index: Int, generation: Int) {
        guard clients[index].generation == generation else { return }
        if clients[index].current == nil {
            guard clients[index].index < options.requestsPerClient else { return }
            let operation = Array("client \(index) op \(clients[index].index)".utf8)
            clients[index].current = ClientRequest.signed(
                by: clients[index].key, timestamp: UInt64(clients[index].index + 1), operation: operation)
        }
        guard let request = clients[index].current else { return }
        if !healed && rng.chance(perMillion: 100_000) {
            // A forged request: this client's key, another timestamp, a signature that does not match.
            let forged = ClientRequest(client: request.client, timestamp: request.timestamp + 1_000,
                                       operation: request.operation, signature: request.signature)
            for target in nodes.indices { queue.push(.request(to: target, forged), at: now + delay()) }
        }
        for target in nodes.indices {
            if !healed && rng.chance(perMillion: lossPerMillion) { continue }
            queue.push(.request(to: target, request), at: now + delay())
        }
        queue.push(.clientTimer(index, generation: generation), at: now + 300)
    }

    /// A client accepts a result once f+1 honest replicas executed it (§4.1).
    private func noteExecuted(_ index: Int, _ request: ClientRequest) {
        executors[request.key, default: []].insert(index)
        guard executors[request.key]!.count == weak else { return }
        guard let client = clients.firstIndex(where: { $0.key.publicKey == request.client }),
              clients[client].current?.key == request.key else { return }
        completed += 1
        clients[client].current = nil
        clients[client].index += 1
        clients[client].generation += 1
        queue.push(.clientTimer(client, generation: clients[client].generation), at: now + 1)
    }

    // MARK: state transfer

    /// Serves the state from this replica's own durable snapshot if it has it, else from
    /// a peer that has it (a Byzantine peer serves a forged one, which must be refused).
    private func startStateTransfer(_ index: Int, sequence: UInt64, digest: Digest) {
        guard !nodes[index].stateFetchInFlight else { return }
        let offset = rng.below(nodes.count)
        let order = [index] + (0..<nodes.count).map { (offset + $0) % nodes.count }.filter { $0 != index }
        for source in order {
            guard source == index || (nodes[source].replica != nil && !blocked.contains(link(source, index))),
                  var snapshot = nodes[source].app.snapshots[sequence] else { continue }
            if !nodes[source].honest {
                snapshot = SimApp.Snapshot(chain: Digest.sha256("forged"), executed: [], clientTable: snapshot.clientTable)
            }
            nodes[index].stateFetchInFlight = true
            let state = StateSnapshot(sequence: sequence, appDigest: snapshot.chain, clientTable: snapshot.clientTable)
            queue.push(.stateReady(index, state, snapshot), at: now + (source == index ? 1 : rng.inRange(20...100)))
            return
        }
    }

    private func finishStateTransfer(_ index: Int, _ state: StateSnapshot, _ snapshot: SimApp.Snapshot) {
        nodes[index].stateFetchInFlight = false
        guard let target = nodes[index].replica?.stateTransfer, target.sequence == state.sequence else { return }
        if state.clientTable.checkpointDigest(appDigest: state.appDigest) == target.digest {
            nodes[index].app.install(snapshot, at: state.sequence)
            stateTransferCount += 1
            log("node \(index) installed the state at \(state.sequence)")
        }
        step(index, .stateTransferred(state))
    }

    // MARK: checks

    private func executed(_ index: Int, sequence: UInt64, requests: [ClientRequest]) {
        if nodes[index].app.lastSequence + 1 != sequence && nodes[index].honest {
            violation("node \(index) executed \(sequence) after \(nodes[index].app.lastSequence)")
        }
        let repeated = nodes[index].app.apply(sequence: sequence, requests: requests)
        guard nodes[index].honest else { return }
        for key in repeated { violation("node \(index) executed request (\(key.client.short), \(key.timestamp)) twice") }
        var writer = WireWriter()
        writer.writeArray(requests, bound: Limits.batchRequestsMax)
        let digest = Digest.sha256(writer.bytes)
        if let agreed = deliveredDigests[sequence], agreed != digest {
            violation("agreement: node \(index) executed a different batch at \(sequence)")
        }
        deliveredDigests[sequence] = digest
        for request in requests {
            if !cachedVerify(request.client, request.signature, request.signedBytes, .transaction) {
                violation("validity: node \(index) executed a request without a valid client signature")
            }
            noteExecuted(index, request)
        }
    }

    /// No honest replica signs two different things for one (phase, view, sequence).
    private func checkSignedOnce(_ index: Int, _ message: Message) {
        guard Int(message.sender) == index else { return }
        record(message)
        if case .newView(let m) = message {
            for prePrepare in m.payload.prePrepares { record(.prePrepare(prePrepare)) }
        }
    }

    private func record(_ message: Message) {
        let slot = message.slot
        let sequence: UInt64
        switch message.phase {
        case .viewChange, .newView: sequence = 0
        case .prePrepare, .prepare, .commit, .checkpoint: sequence = slot.sequence
        }
        let key = SignKey(sender: message.sender, phase: message.phase, view: slot.view, sequence: sequence)
        let digest = message.votedDigest
        if let earlier = signedDigests[key], earlier != digest {
            violation("node \(message.sender) signed two different \(message.phase) for view \(slot.view) sequence \(slot.sequence)")
        }
        signedDigests[key] = digest
    }

    private func afterStep(_ index: Int) {
        guard let replica = nodes[index].replica else { return }
        highestView = max(highestView, replica.view)
        guard nodes[index].honest else { return }
        if !replica.footprintWithinBounds { violation("node \(index) holds more than its bounds: \(replica.footprint)") }
        let stable = replica.stable
        guard stable.sequence > 0 else { return }
        if let agreed = stableDigests[stable.sequence], agreed != stable.digest {
            violation("node \(index) has a different stable checkpoint digest at \(stable.sequence)")
        }
        stableDigests[stable.sequence] = stable.digest
    }

    func cachedVerify(_ key: PublicKey, _ signature: Signature, _ bytes: [UInt8], _ domain: SigningDomain) -> Bool {
        var material = key.bytes
        material += signature.bytes
        material += Array(domain.rawValue.utf8)
        material += bytes
        let cacheKey = Digest.sha256(material)
        if let known = verifyCache[cacheKey] { return known }
        let valid = key.verify(signature, for: bytes, domain: domain)
        if verifyCache.count >= Simulation.verifyCacheMax { verifyCache = [:] }
        verifyCache[cacheKey] = valid
        return valid
    }

    private func result() -> SimResult {
        for (index, node) in nodes.enumerated() {
            guard let replica = node.replica else { log("node \(index): down"); continue }
            log("node \(index): view \(replica.view) \(replica.status) executed \(replica.lastExecuted) stable \(replica.stable.sequence) transfer \(replica.stateTransfer?.sequence ?? 0) \(replica.counters) \(replica.footprint)")
        }
        let behaviours = nodes.enumerated().compactMap { index, node in node.behaviour.map { "\(index):\($0.rawValue)" } }
        var empty = WireWriter()
        empty.writeArray([ClientRequest](), bound: Limits.batchRequestsMax)
        let emptyDigest = Digest.sha256(empty.bytes)
        let emptyBatches = deliveredDigests.values.filter { $0 == emptyDigest }.count
        let summary = "seed=\(options.seed) n=\(nodes.count) byzantine=[\(behaviours.joined(separator: ","))] "
            + "loss=\(lossPerMillion / 10_000)% dup=\(duplicatePerMillion / 10_000)% tail=\(tailPerMillion / 10_000)% "
            + "batch=\(config.batchSizeMax) requests=\(completed)/\(requestsTotal) view=\(highestView) "
            + "crashes=\(crashCount) transfers=\(stateTransferCount) empty=\(emptyBatches) messages=\(messagesDelivered) t=\(now)ms"
        return SimResult(
            seed: options.seed, replicaCount: nodes.count, byzantineCount: byzantineCount, violations: violations,
            requestsCompleted: completed, requestsTotal: requestsTotal, simulatedMs: now,
            messagesDelivered: messagesDelivered, highestView: highestView, crashes: crashCount,
            stateTransfers: stateTransferCount, emptyBatches: emptyBatches, summary: summary)
    }
}
