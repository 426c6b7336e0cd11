public import PoECrypto

/// What the shell feeds a replica.
public enum Event: Sendable {
    /// A consensus message that passed `MessageValidator` (signatures, sender, bounds).
    case message(Message)
    /// A client request whose signature the shell checked (`MessageValidator.validate(request:)`).
    case request(ClientRequest)
    /// One unit of time; every timeout counts ticks.
    case tick
    /// The application's digest after executing `sequence` (a checkpoint sequence number).
    case checkpointDigest(sequence: UInt64, appDigest: Digest)
    /// The shell fetched the state at a stable checkpoint the replica asked for.
    case stateTransferred(StateSnapshot)
    /// Whether the application has work that only later sequence numbers complete (a
    /// job waiting for its deadline height): while it does, an idle primary proposes
    /// empty batches every `Config.emptyBatchTicks`, so that time moves the chain.
    case progressWanted(Bool)
}

/// State at a checkpoint, as copied by state transfer.
public struct StateSnapshot: Sendable, Hashable {
    public let sequence: UInt64
    public let appDigest: Digest
    public let clientTable: ClientTable
    public init(sequence: UInt64, appDigest: Digest, clientTable: ClientTable) {
        self.sequence = sequence
        self.appDigest = appDigest
        self.clientTable = clientTable
    }
}

/// What a replica asks its shell to do, in order. A `.persist` must be durable before
/// any later action of the same step is performed (persist-before-send).
public enum Action: Sendable, Equatable {
    case persist(PersistedRecord)
    case send(Message, to: ReplicaID)
    case broadcast(Message)
    /// Execute these requests (already deduplicated) at `sequence`, in order.
    case deliver(sequence: UInt64, requests: [ClientRequest])
    /// Fetch the state at a stable checkpoint from peers; answer with `.stateTransferred`.
    case fetchState(sequence: UInt64, digest: Digest)
}

/// What a replica writes to stable storage. Replaying these alone rebuilds a replica
/// that never signs two different votes for one (view, sequence, phase).
public enum PersistedRecord: Sendable, Equatable {
    /// A message this replica signed, written before it is sent.
    case signed(Message)
    /// A prepared certificate, written before the commit that depends on it.
    case prepared(PreparedCertificate)
    /// A stable checkpoint and its proof.
    case stableCheckpoint(sequence: UInt64, digest: Digest, proof: [Signed<Checkpoint>])
    /// The view entered, and whether the replica was still waiting for its new view.
    case view(UInt64, changing: Bool)

    /// Drops what a stable checkpoint at the latest recorded sequence made useless, keeping
    /// the latest view, view-change and new-view: the log stays bounded by the window.
    public static func compact(_ records: [PersistedRecord]) -> [PersistedRecord] {
        var stable: UInt64 = 0
        var latestView: Int?
        var latestViewChange: Int?
        var latestNewView: Int?
        var latestStable: Int?
        for (index, record) in records.enumerated() {
            switch record {
            case .stableCheckpoint(let sequence, _, _):
                if sequence >= stable { stable = sequence; latestStable = index }
            case .view: latestView = index
            case .signed(.viewChange): latestViewChange = index
            case .signed(.newView): latestNewView = index
            case .signed, .prepared: break
            }
        }
        return records.enumerated().compactMap { index, record in
            switch record {
            case .stableCheckpoint: return index == latestStable ? record : nil
            case .view: return index == latestView ? record : nil
            case .signed(.viewChange): return index == latestViewChange ? record : nil
            case .signed(.newView): return index == latestNewView ? record : nil
            // The own checkpoint at the stable sequence stays: it is what a restarted
            // replica re-sends, so that one left behind learns of the checkpoint.
            case .signed(.checkpoint(let m)): return m.payload.sequence >= stable ? record : nil
            case .signed(let message): return message.slot.sequence > stable ? record : nil
            case .prepared(let certificate): return certificate.sequence > stable ? record : nil
            }
        }
    }
}
