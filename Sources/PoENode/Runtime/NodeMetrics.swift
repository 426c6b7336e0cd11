import NIOConcurrencyHelpers
import PBFT
import PoEExecutor
import PoELedger
import PoENodeCore
import PoETransport
import Prometheus

/// Everything the node counts, read together on the loop after each group of inputs:
/// the published status (with the shell's counters), the replica's and the
/// interpreter's own counters, the peer port's, and the job runner's queue.
struct NodeReadings: Sendable {
    var status: NodeStatus
    var replica: Replica.Counters
    var core: NodeCore.Counters
    var peers: PeerNetworkStats
    var jobsQueued: Int
    /// Read after the last minute's trim, not per group (nil: not yet, or no glibc).
    var heap: HeapUsage? = nil
}

/// The node's Prometheus metrics, in a registry of its own (no global metrics system,
/// so several nodes can live in one test process). Every series exists from the start
/// with 0, including each label value known in advance (job outcomes and statuses,
/// handshake refusal reasons, replicas, API routes). Totals the node keeps elsewhere
/// (status, replica and peer counters) are exported as counters that grow by what the
/// total grew since the last reading. `docs/OPERATOR.md` lists every metric;
/// `scripts/check-metrics` holds the two to each other.
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let requests: APIRequestMetrics
    private let gauges: [(Gauge, @Sendable (NodeReadings) -> Double)]
    private let totals: NIOLockedValueBox<[FedCounter]>
    private let viewChanges: Counter
    private let lastView = NIOLockedValueBox<UInt64?>(nil)
    private let batches: Counter
    private let committedRequests: Counter
    private let rejectedRequests: Counter
    private let slashes: Counter
    private let jobOutcomes: [OutcomeLabel: Counter]
    private let jobStatuses: [JobStatus: Counter]
    private let commitLatency: DurationHistogram
    private let jobRunTime: DurationHistogram
    /// When requests reached this node (through its API, or made by the node itself), for
    /// the latency histogram.
    private let arrivals = NIOLockedValueBox<[RequestKey: ContinuousClock.Instant]>([:])
    static let arrivalsMax = 100_000

    init(replicaCount: Int) {
        let registry = self.registry
        requests = APIRequestMetrics(registry: registry)
        gauges = NodeMetrics.gaugeDefinitions(replicaCount: replicaCount).map { definition in
            (registry.makeGauge(name: definition.name, labels: definition.labels, help: definition.help), definition.read)
        }
        totals = NIOLockedValueBox(NodeMetrics.totalDefinitions().map { definition in
            FedCounter(
                counter: registry.makeCounter(name: definition.name, labels: definition.labels, help: definition.help),
                read: definition.read)
        })
        viewChanges = registry.makeCounter(name: "poe_view_changes_total", help: "Views this node moved past")
        batches = registry.makeCounter(name: "poe_batches_applied_total", help: "Committed batches applied to the ledger")
        committedRequests = registry.makeCounter(
            name: "poe_committed_transactions_total", help: "Transactions committed and applied")
        rejectedRequests = registry.makeCounter(
            name: "poe_rejected_transactions_total", help: "Committed transactions the ledger recorded as failed")
        slashes = registry.makeCounter(
            name: "poe_slashes_total", help: "Validators slashed for a wrong result, at the settlements this node applied")
        jobOutcomes = Dictionary(uniqueKeysWithValues: OutcomeLabel.allCases.map { label in
            (label, registry.makeCounter(
                name: "poe_job_outcomes_total", labels: [("outcome", label.rawValue)], help: "Jobs this node ran, by outcome"))
        })
        jobStatuses = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { status in
            (status, registry.makeCounter(
                name: "poe_jobs_total", labels: [("status", JobResponse.statusText(status))],
                help: "Jobs that reached a status in the batches this node applied"))
        })
        commitLatency = registry.makeDurationHistogram(
            name: "poe_commit_latency_seconds",
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)],
            help: "From a transaction reaching this node (its API, or the node's own) to its commit")
        jobRunTime = registry.makeDurationHistogram(
            name: "poe_job_run_seconds",
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
                      .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)],
            help: "Wall-clock time of the jobs this node ran")
    }

    /// Brings gauges and fed counters to `readings`; called on the loop after each group.
    func update(_ readings: NodeReadings) {
        for (gauge, read) in gauges { gauge.set(read(readings)) }
        totals.withLockedValue { totals in
            for index in totals.indices { totals[index].feed(readings) }
        }
        let view = readings.status.view
        let passed = lastView.withLockedValue { last -> UInt64 in
            // The first reading is the view the node started in, not views it moved past.
            defer { last = max(last ?? view, view) }
            guard let last, view > last else { return 0 }
            return view - last
        }
        if passed > 0 { viewChanges.increment(by: Int64(passed)) }
    }

    func noteArrival(_ key: RequestKey) {
        let now = ContinuousClock.now
        arrivals.withLockedValue { arrivals in
            // Requests that never commit would otherwise stay: start over past the bound.
            if arrivals.count >= NodeMetrics.arrivalsMax { arrivals.removeAll() }
            arrivals[key] = now
        }
    }

    /// Counts a newly applied batch; returns how long each of its requests that reached
    /// this node waited for its commit.
    func recordBatch(receipt: BatchReceipt, requests: [ClientRequest]) -> [Duration] {
        batches.increment()
        let rejected = receipt.results.filter { $0.rejection != nil }.count
        if receipt.results.count > rejected { committedRequests.increment(by: Int64(receipt.results.count - rejected)) }
        if rejected > 0 { rejectedRequests.increment(by: Int64(rejected)) }
        let now = ContinuousClock.now
        let waited = arrivals.withLockedValue { arrivals in requests.compactMap { arrivals.removeValue(forKey: $0.key) } }
        let latencies = waited.map { now - $0 }
        for latency in latencies { commitLatency.record(latency) }
        return latencies
    }

    func recordJobRun(outcome: Outcome, duration: Duration) {
        jobOutcomes[OutcomeLabel(outcome)]?.increment()
        jobRunTime.record(duration)
    }

    func recordJobStatus(_ status: JobStatus) { jobStatuses[status]?.increment() }

    func recordSlashes(_ count: Int) {
        if count > 0 { slashes.increment(by: Int64(count)) }
    }

    func text() -> String { registry.emitToString() }
}

/// A counter that follows a total kept elsewhere: it grows by what the total grew.
private struct FedCounter {
    let counter: Counter
    let read: @Sendable (NodeReadings) -> Int
    var last = 0

    mutating func feed(_ readings: NodeReadings) {
        let total = read(readings)
        if total > last { counter.increment(by: Int64(total - last)) }
        last = max(last, total)
    }
}

/// The label of an outcome in `poe_job_outcomes_total`.
enum OutcomeLabel: String, CaseIterable {
    case success, trap
    case outOfFuel = "out_of_fuel"
    case outOfMemory = "out_of_memory"
    case invalidModule = "invalid_module"
    case hashMismatch = "hash_mismatch"
    case outputTooLarge = "output_too_large"

    init(_ outcome: Outcome) {
        switch outcome {
        case .success: self = .success
        case .trap: self = .trap
        case .outOfFuel: self = .outOfFuel
        case .outOfMemory: self = .outOfMemory
        case .invalidModule: self = .invalidModule
        case .hashMismatch: self = .hashMismatch
        case .outputTooLarge: self = .outputTooLarge
        }
    }
}

/// One metric fed from the readings.
struct MetricDefinition<Value>: Sendable {
    var name: String
    var labels: [(String, String)] = []
    var help: String
    var read: @Sendable (NodeReadings) -> Value
}

extension NodeMetrics {
    static func gaugeDefinitions(replicaCount: Int) -> [MetricDefinition<Double>] {
        func gauge(_ name: String, _ help: String, _ read: @escaping @Sendable (NodeReadings) -> Double) -> MetricDefinition<Double> {
            MetricDefinition(name: name, help: help, read: read)
        }
        @Sendable func flag(_ value: Bool) -> Double { value ? 1 : 0 }
        var definitions = [
            gauge("poe_height", "Ledger height: the last sequence applied") { Double($0.status.height) },
            gauge("poe_view", "Current PBFT view") { Double($0.status.view) },
            gauge("poe_primary", "Replica ID of the current view's primary") { Double($0.status.primary) },
            gauge("poe_is_primary", "1 while this node is the primary") { flag($0.status.isPrimary) },
            gauge("poe_view_changing", "1 while this node is changing views") { flag($0.status.viewChanging) },
            gauge("poe_last_executed", "Last sequence number the replica executed") { Double($0.status.lastExecuted) },
            gauge("poe_stable_checkpoint", "Sequence number of the stable checkpoint") { Double($0.status.stableCheckpoint) },
            gauge("poe_state_root_height", "Height of the last checkpoint, whose state root /status shows") {
                Double($0.status.stateRootHeight)
            },
            gauge("poe_catching_up", "1 while this node fetches a checkpoint's state from its peers") {
                flag($0.status.catchingUp)
            },
            gauge("poe_peers_connected", "Authenticated peer links") { Double($0.status.peersConnected) },
            gauge("poe_peer_queued_bytes", "Bytes queued for peers: waiting for a link, or written and not yet flushed") {
                Double($0.status.peerQueuedBytes)
            },
            gauge("poe_inbox_queued_bytes", "Bytes queued in the node's inbox") { Double($0.status.inboxQueuedBytes) },
            gauge("poe_peer_handshakes_in_progress", "Accepted peer-port connections in their handshake") {
                Double($0.status.handshakesInProgress)
            },
            gauge("poe_pending_requests", "Client requests waiting to be ordered and executed") {
                Double($0.status.pendingRequests)
            },
            gauge("poe_open_jobs", "Jobs this node runs, waits for blobs for, or attested and waits to see recorded") {
                Double($0.status.openJobs)
            },
            gauge("poe_job_runner_queued", "Jobs queued or running in this node's job runner") { Double($0.jobsQueued) },
            gauge("poe_blob_store_bytes", "Bytes the blob store is charged for (each blob at least 4 KiB)") {
                Double($0.status.blobStoreBytes)
            },
            gauge("poe_blob_uploads_pending", "Uploads no job names yet, each charged to its account's quota") {
                Double($0.status.blobUploadsPending)
            },
            gauge("poe_heap_in_use_bytes", "Heap bytes malloc handed out and not had back, after the last minute's trim") {
                Double($0.heap?.inUse ?? 0)
            },
            gauge("poe_heap_held_bytes", "Heap bytes malloc holds from the system (in use or free), after the last minute's trim") {
                Double($0.heap?.held ?? 0)
            },
            gauge("poe_sqlite_memory_bytes", "Heap bytes SQLite holds (page caches, statements), after the last minute's trim") {
                Double($0.heap?.sqlite ?? 0)
            },
        ]
        for replica in 0..<replicaCount {
            let labels = [("replica", "\(replica)")]
            definitions.append(MetricDefinition(
                name: "poe_replica_last_checkpoint", labels: labels,
                help: "Highest checkpoint this node has seen each replica sign (its own: the last it took)"
            ) { readings in readings.status.replicas.first { $0.replicaID == replica }.map { Double($0.lastCheckpoint) } ?? 0 })
            definitions.append(MetricDefinition(
                name: "poe_replica_last_view", labels: labels, help: "Highest view this node has seen each replica sign in"
            ) { readings in readings.status.replicas.first { $0.replicaID == replica }.map { Double($0.lastView) } ?? 0 })
        }
        return definitions
    }

    static func totalDefinitions() -> [MetricDefinition<Int>] {
        func total(_ name: String, _ help: String, _ read: @escaping @Sendable (NodeReadings) -> Int) -> MetricDefinition<Int> {
            MetricDefinition(name: name, help: help, read: read)
        }
        var definitions = [
            total("poe_inbox_dropped_total", "Inputs dropped because the node's inbox was full") { $0.status.inboxDropped },
            total("poe_peer_messages_malformed_total", "Peer messages that did not decode") { $0.status.malformedPeerMessages },
            total("poe_peer_messages_invalid_total", "Peer messages refused by validation (signature, sender, contents)") {
                $0.status.invalidPeerMessages
            },
            total("poe_state_transfers_total", "Checkpoint states installed from peers") { $0.status.stateTransfers },
            total("poe_local_resumes_total", "Restarts resumed from this node's own checkpoint archive") { $0.status.localResumes },
            total("poe_checkpoint_write_failures_total", "Checkpoint archives that could not be written") {
                $0.status.checkpointWriteFailures
            },
            total("poe_blob_uploads_refused_total", "Uploads refused: store full, an account's quota, too many pending") {
                $0.status.blobUploadsRefused
            },
            total("poe_blobs_deleted_total", "Blobs the janitor deleted: unreferenced, or past their retention") {
                $0.status.blobsDeleted
            },
            total("poe_blob_requests_deferred_total", "Peers' blob requests left unanswered: a group's 16 MiB serving budget was spent") {
                $0.core.blobRequestsDeferred
            },
            total("poe_blob_store_failures_total", "Blobs fetched from peers that could not be stored") { $0.core.blobStoreFailures },
            total("poe_peer_frames_sent_total", "Frames sent on peer links") { $0.peers.framesSent },
            total("poe_peer_frames_received_total", "Frames received on peer links") { $0.peers.framesReceived },
            total("poe_peer_frames_dropped_total", "Frames to peers dropped because a peer's queue was full") {
                $0.status.peerFramesDropped
            },
            total("poe_peer_connections_accepted_total", "Connections accepted on the peer port") { $0.peers.connectionsAccepted },
            total("poe_peer_links_established_total", "Peer links authenticated and admitted") { $0.peers.linksEstablished },
            total("poe_peer_links_lost_total", "Peer links that went down") { $0.status.peerLinksLost },
            total("poe_peer_links_broken_total", "Peer links this node closed for a bad frame") { $0.peers.linksBroken },
            total("poe_peer_refusal_events_suppressed_total", "Handshake refusals not logged one by one (rate limit)") {
                $0.peers.refusalEventsSuppressed
            },
            // The replica's refusals (Replica.Counters).
            total("poe_replica_out_of_window_total", "Consensus messages outside the replica's window") { $0.replica.outOfWindow },
            total("poe_replica_wrong_view_total", "Consensus messages for another view or from the wrong sender") {
                $0.replica.wrongView
            },
            total("poe_replica_duplicates_total", "Consensus messages and requests the replica already had") {
                $0.replica.duplicates
            },
            total("poe_replica_pending_full_total", "Requests the replica dropped because its pending list was full") {
                $0.replica.pendingFull
            },
            total("poe_conflicting_preprepares_total", "Pre-prepares refused for conflicting with an accepted one") {
                $0.replica.conflictingPrePrepares
            },
            total("poe_refused_double_signs_total", "Votes this replica refused to sign for conflicting with one it signed") {
                $0.replica.refusedDoubleSigns
            },
            total("poe_rejected_new_views_total", "New-view messages that did not match their view changes") {
                $0.replica.rejectedNewViews
            },
            total("poe_rejected_state_transfers_total", "Fetched states that did not match the certified checkpoint") {
                $0.replica.rejectedStateTransfers
            },
            total("poe_divergent_checkpoints_total", "Stable checkpoints whose digest differed from this node's own") {
                $0.replica.divergentCheckpoints
            },
        ]
        definitions += dutyDefinitions()
        for reason in HandshakeRefusal.allCases {
            definitions.append(MetricDefinition(
                name: "poe_peer_handshakes_refused_total", labels: [("reason", reason.rawValue)],
                help: "Peer handshakes that ended without a link, by reason"
            ) { $0.peers.handshakesRefused(reason) })
        }
        return definitions
    }

    /// The duties' counters (`DutyCounters` in /status).
    static func dutyDefinitions() -> [MetricDefinition<Int>] {
        func duty(_ name: String, _ help: String, _ read: @escaping @Sendable (DutyCounters) -> Int) -> MetricDefinition<Int> {
            MetricDefinition(name: "poe_duty_\(name)_total", help: help) { read($0.status.duties) }
        }
        return [
            duty("jobs_started", "Job runs this node started") { $0.jobsStarted },
            duty("attestations_submitted", "Attestations this node submitted") { $0.attestationsSubmitted },
            duty("attestations_resubmitted", "Attestations submitted again (not yet recorded)") { $0.attestationsResubmitted },
            duty("jobs_skipped_full", "Jobs not taken because too many were open") { $0.jobsSkippedFull },
            duty("runner_full", "Job runs postponed because the runner was full") { $0.runnerFull },
            duty("local_blob_failures", "Blobs unreadable in the local store (fetched again)") { $0.localBlobFailures },
            duty("blob_requests", "Blob requests sent to peers") { $0.blobRequests },
            duty("requests_resent", "Own clients' requests resent to every replica") { $0.requestsResent },
            duty("requests_refused", "Own clients' requests given up on and marked refused") { $0.requestsRefused },
            duty("own_requests_untracked", "Requests not tracked for resending because the table was full") {
                $0.ownRequestsUntracked
            },
            duty("evidence_submitted", "Equivocation evidence this node submitted") { $0.evidenceSubmitted },
            duty("results_for_closed_jobs", "Job results that came back for jobs no longer open") { $0.resultsForClosedJobs },
            duty("profile_unsupported", "Jobs not run because this node cannot run the chain's execution profile") {
                $0.profileUnsupported
            },
        ]
    }
}
