public import PoECrypto

/// One PBFT replica (Castro & Liskov, OSDI '99 / TOCS '02): a pure, deterministic state
/// machine. `step(_:)` takes an event and returns actions; it performs no I/O, reads
/// no clock and draws no randomness. Timeouts count `.tick` events.
public struct Replica: Sendable {
    /// The stable checkpoint every replica starts from (sequence 0, no proof).
    public static let genesisDigest = Digest.zero

    public enum Status: Sendable, Equatable {
        case normal
        /// Sent a view change for `view`, waiting for its new-view message.
        case changingView
    }

    public struct StableCheckpoint: Sendable, Equatable {
        public let sequence: UInt64
        public let digest: Digest
        public let proof: [Signed<Checkpoint>]
    }

    /// Messages the core dropped, by reason: what a shell exports as metrics.
    public struct Counters: Sendable, Equatable {
        public var outOfWindow = 0
        public var wrongView = 0
        public var duplicates = 0
        public var pendingFull = 0
        public var conflictingPrePrepares = 0
        public var refusedDoubleSigns = 0
        public var rejectedNewViews = 0
        public var rejectedStateTransfers = 0
        public var divergentCheckpoints = 0
        /// Batches executed on a quorum of commits from a view this replica was not in.
        public var foreignCertificates = 0
    }

    struct Slot: Sendable {
        var prePrepare: Signed<PrePrepare>?
        /// The latest pre-prepare of this view's primary for another batch than
        /// `prePrepare`: the primary equivocated, and the quorum may have committed this one.
        var otherPrePrepare: Signed<PrePrepare>?
        var prepares: [ReplicaID: Signed<Prepare>] = [:]
        var commits: [ReplicaID: Signed<Commit>] = [:]
        var prepared = false
        /// The highest-view prepared certificate, kept across views for view changes.
        var certificate: PreparedCertificate?
        /// The committed batch, once known; never changes.
        var decided: Batch?

        mutating func resetForNewView() {
            prePrepare = nil
            otherPrePrepare = nil
            prepares = [:]
            commits = [:]
            prepared = false
        }
    }

    /// The primary found no batch due among `candidates` requests (pending, not in its log)
    /// with the replica in this state. Until an execution, a proposal, a checkpoint or a
    /// view change moves the state, only two things can make a batch due: new requests, by
    /// count, and ticks, by the oldest candidate's wait. `tryPropose` skips its search (a
    /// hash per request in flight, which ran on every message and every tick and bounded
    /// throughput) until one of them could.
    struct ProposalIdle: Sendable {
        let view: UInt64
        let lastExecuted: UInt64
        let nextSequence: UInt64
        let stableSequence: UInt64
        let candidates: Int
        /// When the oldest candidate arrived (nil: none).
        let oldestArrival: UInt64?
        var arrivals = 0

        init(_ replica: Replica, candidates: ArraySlice<PendingRequest>) {
            view = replica.view
            lastExecuted = replica.lastExecuted
            nextSequence = replica.nextSequence
            stableSequence = replica.stable.sequence
            self.candidates = candidates.count
            oldestArrival = candidates.first?.arrivalTick
        }

        func stillIdle(_ replica: Replica) -> Bool {
            guard view == replica.view, lastExecuted == replica.lastExecuted,
                nextSequence == replica.nextSequence, stableSequence == replica.stable.sequence
            else { return false }
            guard let oldestArrival else {
                // With no candidate left, a new request is the oldest, and due at once when
                // nothing is in flight or the primary holds nothing back.
                return arrivals == 0
            }
            // With one left, those two did not hold (it would have been due) and still do
            // not; it becomes due by count, or by its wait.
            return candidates + arrivals < replica.config.batchSizeMax
                && replica.nowTicks - oldestArrival < replica.config.batchDelayTicks
        }
    }

    struct PendingRequest: Sendable {
        let request: ClientRequest
        var arrivalTick: UInt64
    }

    struct VoteKey: Hashable, Sendable {
        let phase: Phase
        let view: UInt64
        let sequence: UInt64
    }

    public let config: Config
    public let id: ReplicaID
    let key: PrivateKey

    public internal(set) var view: UInt64 = 0
    public internal(set) var status: Status = .normal
    public internal(set) var lastExecuted: UInt64 = 0
    public internal(set) var stable: StableCheckpoint
    public internal(set) var counters = Counters()
    /// The client table at the stable checkpoint, to serve state transfer (nil while
    /// this replica has not executed up to it).
    public internal(set) var stableClientTable: ClientTable?
    /// A stable checkpoint this replica must fetch before executing further.
    public internal(set) var stateTransfer: (sequence: UInt64, digest: Digest)?

    var nowTicks: UInt64 = 0
    /// Set by `Event.progressWanted`; with `lastProposalTick`, drives empty batches.
    var progressWanted = false
    /// Request timers count from this tick at the earliest. A restarted replica first
    /// listens for one timeout: until the others' retransmitted checkpoints reach it, it
    /// cannot tell a stalled primary from its own lag.
    var requestTimersStartTick: UInt64 = 0
    var lastProposalTick: UInt64 = 0
    /// When this replica last saw the chain move (a batch executed, a view or a state
    /// installed, or progress wanted anew): with `progressWanted`, times a primary that
    /// proposes nothing.
    var lastProgressTick: UInt64 = 0
    var slots: [UInt64: Slot] = [:]
    /// How many pre-prepares above `lastExecuted` hold each request key: what
    /// `countKeysInLog()` counts, kept up to date as the primary proposes and executes so
    /// that a proposal does not walk the whole window (it bounded the primary's
    /// throughput). nil after any other change to the log (a view, a restore, a state
    /// install, a backup's pre-prepare, garbage collection): rebuilt when next needed.
    var keysInLog: [RequestKey: Int]?
    var nextSequence: UInt64 = 0
    var clientTable: ClientTable
    var snapshots: [UInt64: ClientTable] = [:]
    var checkpointVotes: [ReplicaID: [UInt64: Signed<Checkpoint>]] = [:]
    var lastOwnCheckpoint: Signed<Checkpoint>?
    var pending: [PendingRequest] = []
    var pendingKeys: Set<RequestKey> = []
    /// Where `tryPropose` last found no batch due; see `ProposalIdle`.
    var proposalIdle: ProposalIdle?
    var viewChangeVotes: [ReplicaID: Signed<ViewChange>] = [:]
    var myViewChange: Signed<ViewChange>?
    var lastNewView: Signed<NewView>?
    var newViewResentTick: [ReplicaID: UInt64] = [:]
    var viewChangeTimerTick: UInt64?
    var viewChangesInARow: UInt64 = 0
    var stateTransferAskedTick: UInt64?
    /// What this replica signed, per (phase, view, sequence): the guard against equivocation.
    var signedVotes: [VoteKey: Digest] = [:]
    /// Commits seen for undecided sequences in views this replica is not in.
    var foreignCommits: [UInt64: ForeignCommits] = [:]
    var stableProofSentTick: [ReplicaID: UInt64] = [:]
    var batchesItLacksSentTick: [ReplicaID: UInt64] = [:]
    /// The last executed sequence each peer's STATUS reported.
    var statusExecuted: [ReplicaID: UInt64] = [:]
    var actions: [Action] = []

    /// A replica of a configuration that starts from the genesis holds its state (an
    /// empty one). One of a later configuration holds none yet: it asks for the state at
    /// the origin, and its shell answers with `.stateTransferred`, from its own state
    /// when it executed the origin in the configuration before, or from peers.
    public init(config: Config, id: ReplicaID, key: PrivateKey) {
        precondition(Int(id) < config.replicaCount, "replica id \(id) out of range")
        precondition(config.replicas[Int(id)] == key.publicKey, "key does not match replica \(id)")
        self.config = config
        self.id = id
        self.key = key
        stable = StableCheckpoint(sequence: config.origin.sequence, digest: config.origin.digest, proof: [])
        nextSequence = config.origin.sequence
        clientTable = ClientTable(capacity: config.clientTableMax)
        if config.origin.sequence == 0 {
            stableClientTable = clientTable
        } else {
            stateTransfer = (config.origin.sequence, config.origin.digest)
        }
    }

    public var isPrimary: Bool { config.primary(of: view) == id }

    /// Whether a request is newer than its client's last executed one (exactly-once).
    public func isFresh(_ key: RequestKey) -> Bool { clientTable.isFresh(key) }

    /// The client table right after executing checkpoint `sequence`, while the checkpoint
    /// is above the stable one: archived by the shell with the application state.
    public func clientTable(atCheckpoint sequence: UInt64) -> ClientTable? { snapshots[sequence] }

    /// Requests waiting to be executed, at most `config.pendingRequestsMax`.
    public var pendingRequestCount: Int { pending.count }

    /// The requests still waiting, oldest first: what a shell hands to the replica of
    /// the next configuration when this one has ended.
    public var pendingRequests: [ClientRequest] { pending.map(\.request) }

    /// Whether this replica executed every sequence number its configuration orders,
    /// up to `lastSequence`: nothing it could still vote on would order another request.
    public var hasExecutedItsLastSequence: Bool {
        config.lastSequence.map { lastExecuted >= $0 && stateTransfer == nil } ?? false
    }

    /// Whether the configuration is over for this replica: its last sequence executed and
    /// certified stable by a quorum. The shell then builds the next configuration's replica
    /// from `stable` (the next origin, its proof the epoch's certificate) and `stableClientTable`.
    public var hasEnded: Bool {
        hasExecutedItsLastSequence && stable.sequence == config.lastSequence
    }

    /// Whether `onRequest` would drop a new request for want of room: the shell tells
    /// its client so, instead of accepting a request that silently vanishes.
    public func refusesRequest(_ key: RequestKey) -> Bool {
        pending.count >= config.pendingRequestsMax && !pendingKeys.contains(key)
    }
    var quorum: Int { config.quorum.quorum }
    var highWatermark: UInt64 { min(stable.sequence + config.windowSize, config.lastSequence ?? Limits.numberMax) }

    func inWindow(_ sequence: UInt64) -> Bool {
        sequence > stable.sequence && sequence <= highWatermark
    }

    /// The single entry point.
    public mutating func step(_ event: Event) -> [Action] {
        precondition(actions.isEmpty, "step re-entered")
        switch event {
        case .message(let message): onMessage(message)
        case .request(let request): onRequest(request)
        case .tick: onTick()
        case .checkpointDigest(let sequence, let appDigest): onCheckpointDigest(sequence: sequence, appDigest: appDigest)
        case .stateTransferred(let snapshot): onStateTransferred(snapshot)
        case .progressWanted(let wanted):
            if wanted && !progressWanted { lastProgressTick = nowTicks }
            progressWanted = wanted
        }
        tryPropose()
        tryProposeEmpty()
        checkInvariants()
        let output = actions
        actions = []
        return output
    }

    mutating func onMessage(_ message: Message) {
        guard Int(message.sender) < config.replicaCount else {
            counters.duplicates += 1
            return
        }
        if message.sender == id {
            // Its own pre-prepare of a view it left, forwarded back by a peer
            // (`sendBatchesItLacks`): the batch of a certificate it may lack.
            if case .prePrepare(let m) = message, status != .normal || m.payload.view != view {
                noteForeignPrePrepare(m)
            } else {
                counters.duplicates += 1
            }
            return
        }
        switch message {
        case .prePrepare(let m): onPrePrepare(m)
        case .prepare(let m): onPrepare(m)
        case .commit(let m): onCommit(m)
        case .checkpoint(let m): recordCheckpointVote(m)
        case .viewChange(let m): onViewChange(m)
        case .newView(let m): onNewView(m)
        case .status(let m): onStatus(m)
        }
    }

    /// Signs `payload` unless this replica already signed something different for the
    /// same (phase, view, sequence); persists it, then sends it (to one, or to all).
    @discardableResult
    mutating func signAndSend<P: Payload>(
        _ payload: P, wrap: (Signed<P>) -> Message, to destination: ReplicaID? = nil
    ) -> Signed<P>? {
        guard let signed = signGuarded(payload, wrap: wrap) else { return nil }
        let message = wrap(signed)
        actions.append(.persist(.signed(message)))
        if let destination { actions.append(.send(message, to: destination)) } else { actions.append(.broadcast(message)) }
        return signed
    }

    mutating func signGuarded<P: Payload>(_ payload: P, wrap: (Signed<P>) -> Message) -> Signed<P>? {
        let signed = Signed(signing: payload, as: id, key: key, config: config)
        let message = wrap(signed)
        let voteKey = Replica.voteKey(message)
        if let existing = signedVotes[voteKey], existing != message.votedDigest {
            counters.refusedDoubleSigns += 1
            return nil
        }
        signedVotes[voteKey] = message.votedDigest
        return signed
    }

    static func voteKey(_ message: Message) -> VoteKey {
        let slot = message.slot
        switch message.phase {
        case .viewChange, .newView, .status: return VoteKey(phase: message.phase, view: slot.view, sequence: 0)
        case .prePrepare, .prepare, .commit, .checkpoint:
            return VoteKey(phase: message.phase, view: slot.view, sequence: slot.sequence)
        }
    }

    func checkInvariants() {
        precondition(lastExecuted >= stable.sequence || stateTransfer != nil, "executed below the stable checkpoint")
        precondition(slots.count <= Int(config.windowSize), "log over the window")
        precondition(pending.count <= config.pendingRequestsMax, "pending over bound")
        precondition(pending.count == pendingKeys.count, "pending index out of sync")
        precondition(viewChangeVotes.count <= config.replicaCount, "view changes over n")
        precondition(foreignCommitsWithinBounds(), "foreign commits over the window")
    }
}
