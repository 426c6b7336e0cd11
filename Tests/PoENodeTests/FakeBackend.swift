import PoENodeCore
import Foundation
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Prometheus

/// Deterministic keys for the API tests.
enum TestKeys {
    static func account(_ index: Int) -> PrivateKey { cache.accounts[index] }
    static func node(_ index: Int) -> PrivateKey { cache.nodes[index] }

    private struct Cache: Sendable {
        let accounts: [PrivateKey]
        let nodes: [PrivateKey]
    }
    private static let cache = Cache(
        accounts: (0..<8).map { PrivateKey.deterministic(seed: "api-test/account/\($0)") },
        nodes: (0..<8).map { PrivateKey.deterministic(seed: "api-test/node/\($0)") })
}

enum TestGenesis {
    static let chainID = "poe-api-test"
    static let parameters = LedgerParameters(
        minimumStake: 1_000, wrongResultSlashBasisPoints: 1_000, equivocationSlashBasisPoints: 5_000,
        jobDeadlineHeightsMax: 50, epochLengthHeights: 100, unbondingDelayHeights: 5)

    /// Validators 0..<count (account i, node key i + nodeSeed, bond 10_000); accounts 0..<8 hold 100_000.
    static func make(validatorCount: Int = 4, chainID: String = TestGenesis.chainID, nodeSeed: Int = 0) -> Genesis {
        Genesis(
            chainID: chainID,
            accounts: (0..<8).map { GenesisAccount(key: TestKeys.account($0).publicKey, balance: 100_000) },
            validators: (0..<validatorCount).map {
                GenesisValidator(
                    account: TestKeys.account($0).publicKey, nodeKey: TestKeys.node($0 + nodeSeed).publicKey,
                    bond: 10_000, endpoint: "127.0.0.1:\(7000 + $0)")
            },
            parameters: parameters)
    }
}

/// A `NodeBackend` over a real in-memory ledger and a real blob store in a temporary
/// folder; `submit` records the transaction, and `commitSubmitted` applies what was
/// recorded as the next batch, as consensus would.
final class FakeBackend: NodeBackend, @unchecked Sendable {
    let ledger: Ledger
    let blobs: BlobStore
    let blobUploads: BlobUploads
    private let lock = NSLock()
    private var recorded: [SignedTransaction] = []
    private var statuses: [Digest: TransactionStatus] = [:]
    private var refusal: SubmitError?

    init(genesis: Genesis = TestGenesis.make(), blobLimits: BlobLimits = BlobLimits()) throws {
        ledger = try Ledger.open(path: nil, genesis: genesis)
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        requestMetrics = APIRequestMetrics(registry: registry)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-api-tests-\(UUID().uuidString)")
        blobs = try BlobStore(root: folder)
        blobUploads = BlobUploads(limits: blobLimits, storeCharged: 0)
    }

    var status: NodeStatus {
        let height = (try? ledger.height()) ?? 0
        var status = NodeStatus(name: "fake-0", nodeKey: TestKeys.node(0).publicKey.hex, replicaID: 0)
        status.height = height
        status.view = 3
        status.primary = 3
        status.lastExecuted = height
        status.peersConnected = 3
        return status
    }

    func transactionStatus(_ id: Digest) -> TransactionStatus? { lock.withLock { statuses[id] } }

    func submit(_ transaction: SignedTransaction) throws(SubmitError) {
        guard transaction.isSignatureValid else { throw .badSignature }
        let refusal = lock.withLock { self.refusal }
        if let refusal { throw refusal }
        lock.withLock {
            recorded.append(transaction)
            statuses[transaction.id] = .pending
        }
    }

    let registry: PrometheusCollectorRegistry
    let requestMetrics: APIRequestMetrics

    /// The fake's one gauge, then the API's request metrics (recorded by the router).
    func metricsText() -> String {
        "# TYPE poe_height gauge\npoe_height \((try? ledger.height()) ?? 0)\n" + registry.emitToString()
    }

    var peers: [PeerInfo] {
        (1..<4).map { PeerInfo(nodeKey: TestKeys.node($0).publicKey.hex, linked: $0 != 2) }
    }

    /// Steady activity: one transaction a second, committed in 40 ms.
    func activity(seconds: Int) -> ActivityResponse {
        var totals = ActivityTotals()
        totals.jobsSubmitted = 1
        return ActivityResponse(
            uptimeSeconds: 1_000, transactions: Array(repeating: 1, count: seconds), batches: Array(repeating: 1, count: seconds),
            latencyCount: Array(repeating: 1, count: seconds), latencyMeanMs: Array(repeating: 40, count: seconds), latencyMaxMs: Array(repeating: 40, count: seconds),
            totals: totals, slashes: [])
    }

    var submitted: [SignedTransaction] { lock.withLock { recorded } }

    func refuse(with error: SubmitError?) { lock.withLock { refusal = error } }

    /// Applies every recorded transaction as one batch and records each one's fate.
    @discardableResult
    func commitSubmitted() throws -> BatchReceipt {
        let transactions: [SignedTransaction] = lock.withLock {
            defer { recorded = [] }
            return recorded
        }
        let height = try ledger.height() + 1
        let receipt = try ledger.apply(batch: Batch(height: height, transactions: transactions))
        lock.withLock {
            for result in receipt.results {
                statuses[result.transactionID] =
                    result.rejection.map { .rejected(height: height, reason: $0.description) }
                    ?? .committed(height: height, jobID: result.jobID)
            }
        }
        return receipt
    }

    /// Signs with the account's next nonce (the ledger's, plus what is recorded).
    func transaction(_ signer: PrivateKey, _ body: TransactionBody) throws -> SignedTransaction {
        let stored = try ledger.account(signer.publicKey)?.nonce ?? 0
        let pending = submitted.filter { $0.sender == signer.publicKey }.count
        return SignedTransaction.make(signer: signer, nonce: stored + UInt64(pending) + 1, body: body)
    }
}

/// Drives a job through the ledger: submitted by account 7, attested by validator node keys.
struct JobDriver {
    let backend: FakeBackend
    static let output = Array("the answer is 42\n".utf8)

    static func spec(input: String = "input") -> JobSpec {
        JobSpec(
            code: .hash(Digest.sha256("code")), inputHash: Digest.sha256(input), entryPoint: "_start",
            fuelLimit: 1_000_000, memoryLimitPages: 16, deadlineHeights: 20)
    }

    func submitJob(spec: JobSpec = JobDriver.spec()) throws -> Digest {
        try backend.submit(try backend.transaction(TestKeys.account(7), .submitJob(spec: spec, fee: 1_000)))
        let receipt = try backend.commitSubmitted()
        guard let id = receipt.results.first?.jobID else { throw DriverError("submit failed: \(receipt.results)") }
        return id
    }

    /// Attestation of `digest` by validator `node`, with the output hash of `output`.
    func attestation(job: Digest, digest: Digest, node: Int, output: [UInt8] = JobDriver.output) -> SignedAttestation {
        Attestation(
            chainID: backend.ledger.genesis.chainID, jobID: job, resultDigest: digest, profile: .zero,
            outcome: Outcome.success(exitCode: 0).wireBytes, outputHash: Digest.sha256(output), logHash: Digest.sha256(""),
            fuelUsed: 1234, nodeKey: TestKeys.node(node).publicKey
        ).signed(by: TestKeys.node(node))
    }

    /// The digest an honest run of `job` attests here: the executor's preimage over the
    /// fields `attestation` fills in, so a proof's outcome check recomputes it.
    static func honestDigest(job: Digest, output: [UInt8] = JobDriver.output) -> Digest {
        Digest.of(
            ResultPreimage(
                version: ExecutionResult.digestVersion, jobID: job, profile: .zero, outcome: .success(exitCode: 0),
                outputHash: Digest.sha256(output), logHash: Digest.sha256(""), fuelUsed: 1234))
    }

    /// Each listed validator attests in its own transaction, carried by its node key's account.
    func attest(job: Digest, digest: Digest, nodes: [Int]) throws {
        for node in nodes {
            try backend.submit(
                try backend.transaction(TestKeys.node(node), .attest(attestation(job: job, digest: digest, node: node))))
        }
        let receipt = try backend.commitSubmitted()
        for result in receipt.results where !result.succeeded {
            throw DriverError("attestation refused: \(String(describing: result.rejection))")
        }
    }

    /// A finalized job (3 of 4 agree) whose output blob is in the store.
    func finalizedJob(input: String = "input") throws -> (job: Digest, digest: Digest) {
        let job = try submitJob(spec: JobDriver.spec(input: input))
        let digest = JobDriver.honestDigest(job: job)
        try backend.blobs.put(JobDriver.output)
        try attest(job: job, digest: digest, nodes: [0, 1, 2])
        return (job, digest)
    }
}

struct DriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
