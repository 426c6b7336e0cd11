@testable import PBFT
import PoECrypto
import Testing

/// A synchronous in-memory cluster: every replica is the real core; messages wait in a
/// FIFO outbox until the test delivers them (optionally dropping some).
struct Harness {
    struct Envelope {
        let from: ReplicaID
        let to: ReplicaID
        let message: Message
    }

    static let chainID = Digest.sha256("pbft-tests")
    static let keyCache: [PrivateKey] = (0..<20).map { PrivateKey.deterministic(seed: "test-replica-\($0)") }
    static let clientKeys: [PrivateKey] = (0..<48).map { PrivateKey.deterministic(seed: "test-client-\($0)") }

    var config: Config
    var replicas: [Replica]
    var outbox: [Envelope] = []
    var delivered: [[(sequence: UInt64, requests: [ClientRequest])]]
    var persisted: [[PersistedRecord]]
    var fetches: [[(sequence: UInt64, digest: Digest)]]
    var down: Set<ReplicaID> = []

    init(n: Int, checkpointInterval: UInt64 = 4, windowSize: UInt64 = 8, batchSizeMax: Int = 1,
         batchDelayTicks: UInt64 = 0, timeoutTicks: UInt64 = 10, emptyBatchTicks: UInt64? = nil, unsafe: Bool = false,
         pendingRequestsMax: Int = 16, epoch: UInt64 = 0, origin: Origin = .genesis, lastSequence: UInt64? = nil) {
        var config = Config(chainID: Harness.chainID, epoch: epoch, origin: origin, lastSequence: lastSequence,
                            replicas: Harness.keyCache.prefix(n).map(\.publicKey),
                            checkpointInterval: checkpointInterval, windowSize: windowSize, batchSizeMax: batchSizeMax,
                            batchDelayTicks: batchDelayTicks, viewChangeTimeoutTicks: timeoutTicks, retransmitTicks: 1_000,
                            pendingRequestsMax: pendingRequestsMax, clientTableMax: 8, emptyBatchTicks: emptyBatchTicks)
        config.unsafeIgnorePreparedCertificatesInNewView = unsafe
        self.config = config
        replicas = (0..<n).map { Replica(config: config, id: ReplicaID($0), key: Harness.keyCache[$0]) }
        delivered = Array(repeating: [], count: n)
        persisted = Array(repeating: [], count: n)
        fetches = Array(repeating: [], count: n)
    }

    static func request(client: Int = 0, timestamp: UInt64, operation: String = "op") -> ClientRequest {
        ClientRequest.signed(by: clientKeys[client], timestamp: timestamp, operation: Array(operation.utf8))
    }

    func key(_ id: ReplicaID) -> PrivateKey { Harness.keyCache[Int(id)] }

    func sign<P: Payload>(_ payload: P, as id: ReplicaID) -> Signed<P> {
        Signed(signing: payload, as: id, key: key(id), config: config)
    }

    /// The application digest the harness reports at checkpoints: a hash of what was delivered.
    func appDigest(_ id: ReplicaID) -> Digest {
        var bytes: [UInt8] = []
        for entry in delivered[Int(id)] { for request in entry.requests { bytes += request.digest.bytes } }
        return Digest.sha256(bytes)
    }

    @discardableResult
    mutating func step(_ id: ReplicaID, _ event: Event) -> [Action] {
        guard !down.contains(id) else { return [] }
        let actions = replicas[Int(id)].step(event)
        var extra: [Action] = []
        for action in actions {
            switch action {
            case .persist(let record): persisted[Int(id)].append(record)
            case .send(let message, let to): outbox.append(Envelope(from: id, to: to, message: message))
            case .broadcast(let message):
                for to in 0..<replicas.count where to != Int(id) { outbox.append(Envelope(from: id, to: ReplicaID(to), message: message)) }
            case .deliver(let sequence, let requests):
                delivered[Int(id)].append((sequence, requests))
                if sequence % config.checkpointInterval == 0 {
                    extra += step(id, .checkpointDigest(sequence: sequence, appDigest: appDigest(id)))
                }
            case .fetchState(let sequence, let digest): fetches[Int(id)].append((sequence, digest))
            }
        }
        return actions + extra
    }

    /// Sends a request to every replica.
    mutating func submit(_ request: ClientRequest) {
        for id in replicas.indices { step(ReplicaID(id), .request(request)) }
    }

    /// Delivers queued messages (and those they cause) until none are left.
    mutating func run(drop: (Envelope) -> Bool = { _ in false }, limit: Int = 100_000) {
        var count = 0
        while !outbox.isEmpty && count < limit {
            let envelope = outbox.removeFirst()
            count += 1
            if drop(envelope) || down.contains(envelope.to) || down.contains(envelope.from) { continue }
            step(envelope.to, .message(envelope.message))
        }
    }

    mutating func tick(_ times: Int = 1, drop: (Envelope) -> Bool = { _ in false }) {
        for _ in 0..<times {
            for id in replicas.indices { step(ReplicaID(id), .tick) }
            run(drop: drop)
        }
    }

    func sequencesDelivered(_ id: ReplicaID) -> [UInt64] { delivered[Int(id)].map(\.sequence) }
}

/// Finds the messages of one kind in a list of actions.
func broadcasts(_ actions: [Action]) -> [Message] {
    actions.compactMap { action in
        if case .broadcast(let message) = action { return message }
        return nil
    }
}

func prePrepares(_ actions: [Action]) -> [Signed<PrePrepare>] {
    broadcasts(actions).compactMap { if case .prePrepare(let m) = $0 { return m } else { return nil } }
}
func prepares(_ actions: [Action]) -> [Signed<Prepare>] {
    broadcasts(actions).compactMap { if case .prepare(let m) = $0 { return m } else { return nil } }
}
func commits(_ actions: [Action]) -> [Signed<Commit>] {
    broadcasts(actions).compactMap { if case .commit(let m) = $0 { return m } else { return nil } }
}
func viewChanges(_ actions: [Action]) -> [Signed<ViewChange>] {
    broadcasts(actions).compactMap { if case .viewChange(let m) = $0 { return m } else { return nil } }
}
func newViews(_ actions: [Action]) -> [Signed<NewView>] {
    broadcasts(actions).compactMap { if case .newView(let m) = $0 { return m } else { return nil } }
}

/// True if every broadcast in `actions` is preceded by the persist of the same message.
func persistedBeforeSent(_ actions: [Action]) -> Bool {
    var persistedMessages: [Message] = []
    for action in actions {
        switch action {
        case .persist(.signed(let message)): persistedMessages.append(message)
        case .broadcast(.status), .send(.status, _): break  // commits its sender to nothing; never persisted
        case .broadcast(let message), .send(let message, _):
            if message.sender != 0xFFFF && !persistedMessages.contains(message) { return false }
        case .persist, .deliver, .fetchState: break
        }
    }
    return true
}
