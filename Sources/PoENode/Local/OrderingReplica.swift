import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PBFT
import PoECrypto
import PoENodeCore
import PoETransport

/// One replica of `poe bench --ordering-only`: the node's PBFT replica, vote log (SQLite,
/// fsynced before anything that depends on it is sent) and peer network (TCP, sealed and
/// authenticated links), ordering requests that carry no signature and executing nothing.
/// That is libhotstuff's model (commands authenticated by the link, no state machine), so
/// the ordering engine alone can be compared with it. The benchmark hands each request
/// to every replica, as libhotstuff's clients send each command to all, and is told of
/// each delivery. Votes are still signed, verified and persisted as in a node.
///
/// Its mutable state is confined to its loop thread, as a node's `NodeCore` is.
final class OrderingReplica: @unchecked Sendable {
    typealias Delivered = @Sendable (_ requests: [RequestKey]) -> Void

    let index: Int
    let network: PeerNetwork
    let inbox: NodeInbox
    private let config: Config
    private let group: MultiThreadedEventLoopGroup
    private let log: ConsensusLog
    private let validator: MessageValidator
    private let delivered: Delivered
    private let tickMilliseconds: Int64
    private let published = NIOLockedValueBox(Published())
    private var ticker: RepeatedTask?
    private var loopStarted = false

    // Confined to the loop thread.
    private var replica: Replica
    private var unsaved: [PersistedRecord] = []
    private var outbox: [(message: Message, to: ReplicaID?)] = []
    /// A digest of everything delivered, in order: the application digest at checkpoints.
    private var deliveredDigest = Digest.zero
    private var invalidMessages = 0
    private var stalled: String?

    /// What other threads read, set at the end of each input group.
    struct Published: Sendable {
        var view: UInt64 = 0
        var invalidMessages = 0
        /// Requests refused because the pending list was full (never ordered from here).
        var pendingFull = 0
        /// Why this replica cannot go on, if it cannot: the benchmark has no state to
        /// transfer, so a replica that falls behind a stable checkpoint stops ordering.
        var stalled: String?
        var finished = false
    }

    init(
        index: Int, config: Config, key: PrivateKey, peers: [PublicKey: PeerAddress], listen: PeerAddress,
        logPath: String, tickMilliseconds: Int64, delivered: @escaping Delivered
    ) throws {
        self.index = index
        self.config = config
        self.tickMilliseconds = tickMilliseconds
        self.delivered = delivered
        log = try ConsensusLog(path: logPath)
        replica = Replica(config: config, id: ReplicaID(index), key: key)
        let signatures = SignatureCache(capacity: Node.signatureCacheCapacity)
        validator = MessageValidator(config: config) { key, signature, bytes, domain in
            // Requests carry no signature in this model (the link authenticates them);
            // votes are verified as a node verifies them.
            domain == .transaction || signatures.verify(signature, by: key, for: bytes, domain: domain)
        }
        let inbox = NodeInbox(capacity: Node.inboxCapacity, bytesMax: Node.inboxBytesMax)
        self.inbox = inbox
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        network = PeerNetwork(
            config: PeerNetworkConfig(nodeKey: key, chainID: "ordering-bench", peers: peers, listen: listen),
            group: group, onMessage: { peer, bytes in inbox.enqueue(.peer(peer, bytes)) })
    }

    var status: Published { published.withLockedValue { $0 } }

    func start() async throws {
        _ = try await network.start()
        let loop = Thread { [self] in
            while case let inputs = self.inbox.nextGroup(max: 512), !inputs.isEmpty {
                for input in inputs { handle(input) }
                endGroup()
            }
            published.withLockedValue { $0.finished = true }
        }
        loop.name = "poe.ordering.loop.\(index)"
        loop.start()
        loopStarted = true
        let inbox = self.inbox
        let tick = TimeAmount.milliseconds(tickMilliseconds)
        ticker = group.next().scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in inbox.enqueue(.tick) }
    }

    /// Hands a request to this replica, as a client would; false when its inbox is full.
    func submit(_ request: ClientRequest) -> Bool { inbox.enqueue(.client(request)) }

    func stop() async {
        ticker?.cancel()
        await network.stop()
        inbox.close()
        while loopStarted && !status.finished { try? await Task.sleep(for: .milliseconds(5)) }
        try? await group.shutdownGracefully()
    }

    // MARK: the loop

    private func handle(_ input: NodeInput) {
        switch input {
        case .peer(_, let bytes):
            guard case .consensus(let message)? = try? PeerMessage.decode(wireBytes: bytes),
                (try? validator.validate(message)) != nil
            else {
                invalidMessages += 1
                return
            }
            step(.message(message))
        case .client(let request): step(.request(request))
        case .tick: step(.tick)
        case .jobFinished, .jobNotRun: break
        }
    }

    /// Steps the replica and performs its actions, as `NodeCore.perform` does: records wait
    /// for the group's end (one fsync), except before a delivery, which relies on them.
    private func step(_ event: Event) {
        var events = [event]
        while !events.isEmpty {
            for action in replica.step(events.removeFirst()) {
                switch action {
                case .persist(let record): unsaved.append(record)
                case .send(let message, let to): outbox.append((message, to))
                case .broadcast(let message): outbox.append((message, nil))
                case .deliver(let sequence, let requests):
                    flushPersisted()
                    var hasher = SHA256Hasher()
                    deliveredDigest.withUnsafeBytes { hasher.update($0) }
                    for request in requests { hasher.update(request.signedBytes) }
                    deliveredDigest = hasher.finalize()
                    delivered(requests.map(\.key))
                    if sequence % config.checkpointInterval == 0 {
                        events.append(.checkpointDigest(sequence: sequence, appDigest: deliveredDigest))
                    }
                case .fetchState(let sequence, _):
                    stalled = "replica \(index) fell behind the stable checkpoint at \(sequence), and the benchmark has no state to transfer"
                }
            }
        }
    }

    private func endGroup() {
        flushPersisted()
        for (message, to) in outbox {
            let bytes = PeerMessage.consensus(message).wireBytes
            if let to { network.send(bytes, to: config.replicas[Int(to)]) } else { network.broadcast(bytes) }
        }
        outbox.removeAll(keepingCapacity: true)
        let view = replica.view
        published.withLockedValue {
            $0.view = view
            $0.invalidMessages = invalidMessages
            $0.pendingFull = replica.counters.pendingFull
            $0.stalled = stalled
        }
    }

    private func flushPersisted() {
        guard !unsaved.isEmpty else { return }
        // As in a node: without its vote log a replica cannot keep its promise never to
        // sign two votes for one slot.
        do { try log.appendCompacting(unsaved) } catch { fatalError("vote log write failed: \(error)") }
        unsaved.removeAll(keepingCapacity: true)
    }
}
