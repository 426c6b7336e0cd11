public import PBFT
public import PoECrypto
public import PoEDuties
public import PoELedger
import PoEWire
import Synchronization

/// The one interpreter of a validator: it decodes and validates what peers send, steps
/// the PBFT replica and the duties, and performs their actions against the ledger and
/// the world (`NodeEnvironment`): persist before send, apply committed batches, archive
/// checkpoints, run jobs, attest. The node runs it over TCP and SQLite; the simulator
/// runs the same code over a simulated world, so what the simulator proves holds for
/// the node.
///
/// Confined to one thread (the node's loop): other threads only read `published`
/// (behind its lock) and the ledger (SQLite serializes), which is why the unchecked
/// conformance is sound.
public final class NodeCore: @unchecked Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var duties: Duties.Settings
        /// Recent transactions whose fate the API answers from memory.
        /// Recent transactions' fates kept in memory; older ones are read from the ledger
        /// (`orderedStatus`), so this bounds a fast path, not what a client can learn.
        public var transactionIndexMax = 8_192

        public init(name: String, duties: Duties.Settings) {
            self.name = name
            self.duties = duties
        }
    }

    /// Counts of what the interpreter refused or could not do.
    public struct Counters: Sendable, Equatable {
        public var malformedPeerMessages = 0
        public var invalidPeerMessages = 0
        public var stateTransfers = 0
        public var localResumes = 0
        public var checkpointWriteFailures = 0
        public var blobStoreFailures = 0
        /// Blob requests from peers not answered because the group's serving budget
        /// (`blobBytesServedPerGroupMax`) was spent; the peer asks again on its next retry.
        public var blobRequestsDeferred = 0
    }

    /// What other threads read.
    struct Published: Sendable {
        var status: NodeStatus
        var transactions: TransactionIndex
    }

    public let settings: Settings
    public let genesis: Genesis
    public let config: Config
    public let replicaID: ReplicaID
    public let ledger: Ledger
    public internal(set) var replica: Replica
    public internal(set) var duties: Duties
    public internal(set) var counters = Counters()
    let environment: any NodeEnvironment
    let validator: MessageValidator
    let published: Mutex<Published>

    /// Records the replica asked to persist, not yet written.
    var unsaved: [PersistedRecord] = []
    /// Messages waiting for the records before them to be durable (nil: to everyone).
    var outbox: [(message: PeerMessage, peer: PublicKey?)] = []
    /// Blob bytes put in `outbox` this group: a request is 33 bytes, an answer up to
    /// 2 MiB, so answers are bounded per group rather than per request.
    var blobBytesServed = 0
    /// Set when a batch or an installed state changed the ledger, so that the group's end
    /// tells the replica whether jobs still wait (true at start: a restart may hold some).
    var ledgerMoved = true
    var height: UInt64
    var checkpointRoot = Digest.zero
    var checkpointRootHeight: UInt64 = 0
    var reportedView: UInt64
    var archivesPrunedBelow: UInt64 = 0
    /// Per replica, the highest checkpoint sequence and view seen in its valid messages.
    var seenCheckpoints: [UInt64]
    var seenViews: [UInt64]
    let replicaKeysHex: [String]
    /// The duties' counters as last published, to log each new drop with its reason.
    var publishedDutyCounters = Duties.Counters()

    /// `signatures` verifies each signature once, whatever path it arrives by (votes
    /// are retransmitted byte for byte, requests arrive from clients and peers).
    public init(
        settings: Settings, genesis: Genesis, config: Config, nodeKey: PrivateKey, ledger: Ledger,
        restoring records: [PersistedRecord], signatures: SignatureCache, environment: any NodeEnvironment
    ) throws(NodeCoreError) {
        guard let id = config.replicas.firstIndex(of: nodeKey.publicKey) else {
            throw .notAReplica(nodeKey.publicKey)
        }
        precondition(settings.duties.chainID == genesis.chainID, "duties sign for the genesis chain")
        self.settings = settings
        self.genesis = genesis
        self.config = config
        self.ledger = ledger
        self.environment = environment
        replicaID = ReplicaID(id)
        validator = MessageValidator(config: config) { key, signature, bytes, domain in
            signatures.verify(signature, by: key, for: bytes, domain: domain)
        }
        replica =
            records.isEmpty
            ? Replica(config: config, id: replicaID, key: nodeKey)
            : Replica(restoring: records, config: config, id: replicaID, key: nodeKey)
        duties = Duties(settings: settings.duties, key: nodeKey)
        do { height = try ledger.height() } catch { throw .ledger(error) }
        reportedView = replica.view
        seenCheckpoints = Array(repeating: 0, count: config.replicaCount)
        seenViews = Array(repeating: 0, count: config.replicaCount)
        replicaKeysHex = config.replicas.map(\.hex)
        var status = NodeStatus(name: settings.name, nodeKey: nodeKey.publicKey.hex, replicaID: Int(replicaID))
        status.height = height
        published = Mutex(Published(status: status, transactions: TransactionIndex(capacity: settings.transactionIndexMax)))
    }

    /// Takes up the duties the ledger on disk holds and, after a restart, resumes from the
    /// node's own archive of its stable checkpoint when it has one (asking no one).
    public func start() throws(NodeHalt) {
        environment.observe(
            .log(.info, "replica restored", ["view": "\(replica.view)", "height": "\(height)", "stable": "\(replica.stable.sequence)"]))
        try stepDuties(.started(ledgerFacts()))
        if let target = replica.stateTransfer, let snapshot = try resumeFromOwnArchive(target) {
            try step(.stateTransferred(snapshot))
        }
        try endGroup()
    }

    // MARK: inputs

    /// Handles a group of inputs as one: the votes of all of them are persisted with one
    /// fsync, and only then are their messages sent (persist before send, amortized).
    public func handle(_ inputs: [NodeInput]) throws(NodeHalt) {
        for input in inputs {
            switch input {
            case .peer(let from, let bytes): try handlePeer(from: from, bytes: bytes)
            case .client(let request): try submit(request, fromClient: true)
            case .tick:
                try step(.tick)
                try stepDuties(.tick)
            case .jobFinished(let jobID, let result): try stepDuties(.jobFinished(jobID: jobID, result))
            case .jobNotRun(let jobID, let reason): try stepDuties(.jobNotRun(jobID: jobID, reason))
            }
        }
        try endGroup()
    }

    func endGroup() throws(NodeHalt) {
        try updateProgressWanted()
        try flushPersisted()
        flushOutbox()
        pruneArchives()
        publish()
    }

    /// Tells the replica whether a job waits on later heights, after the ledger moved.
    func updateProgressWanted() throws(NodeHalt) {
        guard ledgerMoved else { return }
        ledgerMoved = false
        let wanted: Bool
        do { wanted = try ledger.hasUnsettledJobs() } catch {
            environment.observe(.log(.error, "reading unsettled jobs failed", ["error": "\(error)"]))
            return
        }
        try step(.progressWanted(wanted))
    }

    func handlePeer(from peer: PublicKey, bytes: [UInt8]) throws(NodeHalt) {
        let message: PeerMessage
        do { message = try PeerMessage.decode(wireBytes: bytes) } catch {
            counters.malformedPeerMessages += 1
            return
        }
        switch message {
        case .consensus(let consensus):
            do { try validator.validate(consensus) } catch {
                counters.invalidPeerMessages += 1
                return
            }
            noteSeen(consensus)
            try step(.message(consensus))
        case .request(let request):
            do { try validator.validate(request: request) } catch {
                counters.invalidPeerMessages += 1
                return
            }
            try submit(request, fromClient: false)
        case .blobRequest(let digest): serveBlob(digest, to: peer)
        case .blobResponse(let digest, let bytes): try receiveBlob(digest, bytes: bytes)
        case .stateRequest(let sequence): serveState(sequence, to: peer)
        case .stateResponse(let sequence, let archive): try receiveState(sequence, archive: archive)
        }
    }

    /// What a replica's valid message says of it: how far it got, in which view.
    func noteSeen(_ message: Message) {
        let sender = Int(message.sender)
        switch message {
        case .checkpoint(let m): seenCheckpoints[sender] = max(seenCheckpoints[sender], m.payload.sequence)
        case .viewChange(let m): seenViews[sender] = max(seenViews[sender], m.payload.newView)
        case .prePrepare, .prepare, .commit, .newView, .status: seenViews[sender] = max(seenViews[sender], message.slot.view)
        }
    }

    /// A validated client request: into the local replica and, when it came from a client
    /// of this node (or from the node itself), to every other replica, so that a
    /// censoring primary is noticed; the duties then resend it until it executes.
    func submit(_ request: ClientRequest, fromClient: Bool) throws(NodeHalt) {
        guard fromClient else {
            try step(.request(request))
            return
        }
        let id = NodeCore.transactionID(request)
        if let ordered = orderedStatus(id) {
            // Submitted again (a client retrying): its fate is already known.
            published.withLock { $0.transactions.set(id, ordered) }
            return
        }
        if let reason = refusal(of: request) {
            published.withLock { $0.transactions.setIfUnordered(id, .refused(reason: reason)) }
            return
        }
        outbox.append((.request(request), nil))
        published.withLock { $0.transactions.setIfUnordered(id, .pending) }
        try step(.request(request))
        try stepDuties(.requestAccepted(request))
    }

    /// Why a request of this node's own client can never be ordered from here, or nil:
    /// said to the client rather than dropped by the replica without a word.
    func refusal(of request: ClientRequest) -> String? {
        if !replica.isFresh(request.key) {
            return "nonce \(request.timestamp) is not above the last nonce ordered for this account; "
                + "sign it again with a higher nonce"
        }
        if replica.refusesRequest(request.key) {
            return "\(replica.pendingRequestCount) requests already pending; submit it again later"
        }
        return nil
    }

    public static func transactionID(_ request: ClientRequest) -> Digest {
        SignedTransaction(sender: request.client, nonce: request.timestamp, body: request.operation, signature: request.signature).id
    }

    // MARK: the replica

    /// Steps the replica and performs its actions, and those of the events they lead to.
    func step(_ event: Event) throws(NodeHalt) {
        var events = [event]
        while !events.isEmpty {
            let next = events.removeFirst()
            let actions = replica.step(next)
            events.append(contentsOf: try perform(actions))
        }
    }

    /// Performs the replica's actions in order. Records wait in `unsaved` and messages in
    /// `outbox` until the group ends; a delivery first makes every earlier record durable,
    /// since executing a batch relies on this replica's prepare and commit for it.
    func perform(_ actions: [Action]) throws(NodeHalt) -> [Event] {
        var followUps: [Event] = []
        for action in actions {
            switch action {
            case .persist(let record):
                unsaved.append(record)
            case .send(let message, let to):
                outbox.append((.consensus(message), config.replicas[Int(to)]))
            case .broadcast(let message):
                outbox.append((.consensus(message), nil))
            case .deliver(let sequence, let requests):
                try flushPersisted()
                if let followUp = try deliver(sequence: sequence, requests: requests) { followUps.append(followUp) }
            case .fetchState(let sequence, let digest):
                if let snapshot = try resumeFromOwnArchive((sequence, digest)) {
                    followUps.append(.stateTransferred(snapshot))
                } else {
                    environment.observe(.log(.info, "behind the stable checkpoint; fetching state", ["sequence": "\(sequence)"]))
                    outbox.append((.stateRequest(sequence: sequence), nil))
                }
            }
        }
        return followUps
    }

    func flushPersisted() throws(NodeHalt) {
        guard !unsaved.isEmpty else { return }
        try environment.persist(unsaved)
        unsaved.removeAll(keepingCapacity: true)
    }

    /// Sends what the group's steps produced; only after `flushPersisted`.
    func flushOutbox() {
        precondition(unsaved.isEmpty, "a message would leave before the vote it depends on is durable")
        for (message, peer) in outbox {
            if let peer { environment.send(message, to: peer) } else { environment.broadcast(message) }
        }
        outbox.removeAll(keepingCapacity: true)
        blobBytesServed = 0
    }

    // MARK: publishing

    func publish() {
        logNewDrops()
        if replica.view != reportedView {
            reportedView = replica.view
            environment.observe(
                .log(.notice, "view changed", ["view": "\(replica.view)", "normal": "\(replica.status == .normal)"]))
        }
        var status = published.withLock { $0.status }
        status.height = height
        status.view = replica.view
        status.primary = Int(config.primary(of: replica.view))
        status.isPrimary = replica.isPrimary
        status.viewChanging = replica.status != .normal
        status.lastExecuted = replica.lastExecuted
        status.stableCheckpoint = replica.stable.sequence
        if status.stateRootHeight != checkpointRootHeight {
            status.stateRoot = checkpointRoot.hex
            status.stateRootHeight = checkpointRootHeight
        }
        status.catchingUp = replica.stateTransfer != nil
        status.malformedPeerMessages = counters.malformedPeerMessages
        status.invalidPeerMessages = counters.invalidPeerMessages
        status.stateTransfers = counters.stateTransfers
        status.localResumes = counters.localResumes
        status.checkpointWriteFailures = counters.checkpointWriteFailures
        status.pendingRequests = replica.pendingRequestCount
        status.openJobs = duties.openJobCount
        status.duties = duties.counters
        status.replicas = config.replicas.indices.map { index in
            let own = index == Int(replicaID)
            return ReplicaView(
                replicaID: index, nodeKey: replicaKeysHex[index],
                lastCheckpoint: own ? checkpointRootHeight : seenCheckpoints[index],
                lastView: own ? replica.view : seenViews[index])
        }
        published.withLock { $0.status = status }
    }

    /// Logs what the duties dropped or had to retry since the last group, with why.
    func logNewDrops() {
        let now = duties.counters
        let before = publishedDutyCounters
        guard now != before else { return }
        publishedDutyCounters = now
        let drops: [(Int, Int, String)] = [
            (now.jobsSkippedFull, before.jobsSkippedFull, "jobs skipped: \(duties.settings.jobsOpenMax) jobs already open"),
            (now.runnerFull, before.runnerFull, "job runs postponed: the runner was full (retried)"),
            (now.localBlobFailures, before.localBlobFailures, "blobs unreadable in the local store (fetched again)"),
            (now.ownRequestsUntracked, before.ownRequestsUntracked, "requests not tracked for resending: table full"),
            (now.resultsForClosedJobs, before.resultsForClosedJobs, "job results for jobs no longer open (ignored)"),
            (
                now.profileUnsupported, before.profileUnsupported,
                "cannot run profile \(genesis.parameters.executionProfile): jobs not run, not attested (neither paid nor slashed)"
            ),
        ]
        for (count, earlier, reason) in drops where count > earlier {
            environment.observe(.log(.warning, reason, ["count": "\(count - earlier)", "total": "\(count)"]))
        }
    }

    /// The API took a client's transaction: it reads `pending` from now on, before the
    /// loop has seen it (the loop may then refuse it, and says so).
    public func noteAccepted(_ id: Digest) {
        published.withLock { $0.transactions.setIfUnordered(id, .pending) }
    }

    /// The API could not hand the transaction to the loop.
    public func noteRefused(_ id: Digest, reason: String) {
        published.withLock { $0.transactions.setIfUnordered(id, .refused(reason: reason)) }
    }

    /// The status as of the loop's last group.
    public var status: NodeStatus { published.withLock { $0.status } }

    /// The fate of a transaction: from memory while it is recent or not yet ordered, else
    /// from the ledger's durable index (so a restart forgets nothing committed).
    ///
    /// `pending` is answered from memory: it is set only after the loop found the
    /// transaction unordered in the ledger (or by the API just before the loop looks), and
    /// every batch the loop applies records its receipts here, so the ledger cannot know
    /// better. Asking it anyway cost a ledger read per poll on the queue the loop commits
    /// through (7 % of the CPU of `poe bench`'s burst, whose clients poll). A refused
    /// transaction may still have been ordered through another node, so the ledger is
    /// asked for those, and for the ones memory lost (evicted, or before a restart).
    public func transactionStatus(_ id: Digest) -> TransactionStatus? {
        let known = published.withLock { $0.transactions[id] }
        switch known {
        case .committed?, .rejected?, .pending?: return known
        case .refused?, nil: return orderedStatus(id) ?? known
        }
    }

    /// The fate of a transaction the ledger ordered, from its durable index.
    func orderedStatus(_ id: Digest) -> TransactionStatus? {
        guard let (height, result) = try? ledger.orderedTransaction(id) else { return nil }
        if let rejection = result.rejection { return .rejected(height: height, reason: rejection.description) }
        return .committed(height: height, jobID: result.jobID)
    }
}

public enum NodeCoreError: Error, CustomStringConvertible {
    case notAReplica(PublicKey)
    case ledger(any Error)

    public var description: String {
        switch self {
        case .notAReplica(let key): return "node key \(key.short) is not a replica of this chain"
        case .ledger(let error): return "reading the ledger failed: \(error)"
        }
    }
}
