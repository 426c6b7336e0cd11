import PBFT
import PoECrypto
import PoEDuties
import PoELedger
import PoENodeCore
import Testing

/// A node answers its peers' blob requests within a byte budget per input group: a
/// 33-byte request must not pin 2 MiB of memory each, whatever a peer sends.
@Suite struct BlobServingTests {
    final class Blobs: BlobHolding, @unchecked Sendable {
        var held: [Digest: [UInt8]] = [:]
        func contains(_ digest: Digest) -> Bool { held[digest] != nil }
        func read(_ digest: Digest) throws -> [UInt8] {
            guard let bytes = held[digest] else { throw MissingBlob() }
            return bytes
        }
        func store(_ bytes: [UInt8]) throws -> Digest {
            let digest = Digest.sha256(bytes)
            held[digest] = bytes
            return digest
        }
    }

    struct MissingBlob: Error {}

    final class Checkpoints: CheckpointStore {
        func write(sequence: UInt64, _ produce: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {}
        func read(sequence: UInt64) -> [UInt8]? { nil }
        func byteCount(sequence: UInt64) -> Int? { nil }
        func sequences() -> [UInt64] { [] }
        func remove(sequence: UInt64) {}
    }

    /// Records what the node sends; everything else is inert.
    final class Environment: NodeEnvironment {
        let blobStore = Blobs()
        var sent: [(PeerMessage, PublicKey)] = []
        var blobs: any BlobHolding { blobStore }
        let checkpoints: any CheckpointStore = Checkpoints()
        func persist(_ records: [PersistedRecord]) throws(NodeHalt) {}
        func send(_ message: PeerMessage, to peer: PublicKey) { sent.append((message, peer)) }
        func broadcast(_ message: PeerMessage) {}
        func startJob(_ assignment: JobAssignment) -> Bool { true }
        func observe(_ event: NodeEvent) {}
        func halt(_ reason: String) -> NodeHalt { NodeHalt() }
    }

    @Test func blobAnswersInOneGroupStayWithinTheBudgetAndTheRestAreServedLater() throws {
        let keys = (0..<4).map { PrivateKey.deterministic(seed: "blob-serving-\($0)") }
        let genesis = Genesis(
            chainID: "blob-serving", accounts: [],
            validators: keys.enumerated().map { index, key in
                GenesisValidator(
                    account: PrivateKey.deterministic(seed: "blob-serving-account-\(index)").publicKey,
                    nodeKey: key.publicKey, bond: 10_000, endpoint: "127.0.0.1:\(10_000 + index)")
            },
            parameters: LedgerParameters(
                minimumStake: 1_000, wrongResultSlashBasisPoints: 1_000, equivocationSlashBasisPoints: 5_000,
                jobDeadlineHeightsMax: 100, epochLengthHeights: 1_000, unbondingDelayHeights: 10))
        let environment = Environment()
        let core = try NodeCore(
            settings: NodeCore.Settings(name: "n0", duties: Duties.Settings(chainID: genesis.chainID, fault: nil)),
            genesis: genesis, config: Config(chainID: Digest.sha256(genesis.chainID), replicas: keys.map(\.publicKey)),
            nodeKey: keys[0], ledger: try Ledger.open(path: nil, genesis: genesis), restoring: [],
            signatures: SignatureCache(), environment: environment)
        // Twelve blobs of 2 MiB, each asked for once by a peer, in one group.
        let digests = try (0..<12).map { index in
            try environment.blobStore.store([UInt8](repeating: UInt8(index), count: PeerMessage.blobBytesMax))
        }
        let peer = keys[1].publicKey
        try core.handle(digests.map { .peer(peer, PeerMessage.blobRequest($0).wireBytes) })
        let answered = environment.sent.filter { if case .blobResponse = $0.0 { return true } else { return false } }
        #expect(answered.count == NodeCore.blobBytesServedPerGroupMax / PeerMessage.blobBytesMax)
        #expect(core.counters.blobRequestsDeferred == 12 - answered.count)
        // The next group has a budget of its own: the peer's retry is answered.
        environment.sent.removeAll()
        try core.handle([.peer(peer, PeerMessage.blobRequest(digests[11]).wireBytes)])
        #expect(environment.sent.count == 1)
    }
}
