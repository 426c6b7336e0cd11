import Foundation
import PoECrypto
import PoEWire
@testable import PoELedger

/// Keys, genesis and a driver that tracks nonces and heights, for the ledger tests.
enum Keys {
    static func account(_ index: Int) -> PrivateKey { cache.accounts[index] }
    static func node(_ index: Int) -> PrivateKey { cache.nodes[index] }

    private struct Cache: Sendable {
        let accounts: [PrivateKey]
        let nodes: [PrivateKey]
    }
    private static let cache = Cache(
        accounts: (0..<16).map { PrivateKey.deterministic(seed: "ledger-test/account/\($0)") },
        nodes: (0..<16).map { PrivateKey.deterministic(seed: "ledger-test/node/\($0)") })
}

enum Fixtures {
    static let chainID = "poe-test"
    static let parameters = LedgerParameters(
        minimumStake: 1_000, wrongResultSlashBasisPoints: 1_000, equivocationSlashBasisPoints: 5_000,
        jobDeadlineHeightsMax: 50, epochLengthHeights: 10, unbondingDelayHeights: 5)

    /// Validators 0..<validatorCount (account i, node key i, bond 10_000); accounts 0..<8
    /// funded with 100_000 each.
    static func genesis(validatorCount: Int = 4, parameters: LedgerParameters = Fixtures.parameters) -> Genesis {
        Genesis(
            chainID: chainID,
            accounts: (0..<8).map { GenesisAccount(key: Keys.account($0).publicKey, balance: 100_000) },
            validators: (0..<validatorCount).map {
                GenesisValidator(
                    account: Keys.account($0).publicKey, nodeKey: Keys.node($0).publicKey, bond: 10_000,
                    endpoint: "127.0.0.1:\(7000 + $0)")
            },
            parameters: parameters)
    }

    static func spec(deadlineHeights: UInt64 = 5, code: CodeReference = .hash(Digest.sha256("code"))) -> JobSpec {
        JobSpec(
            code: code, inputHash: Digest.sha256("input"), entryPoint: "run", fuelLimit: 1_000_000,
            memoryLimitPages: 16, deadlineHeights: deadlineHeights)
    }

    static func attestation(job: Digest, digest: Digest, node: Int, chainID: String = Fixtures.chainID) -> SignedAttestation {
        Attestation(
            chainID: chainID, jobID: job, resultDigest: digest, profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.sha256("out"),
            logHash: Digest.sha256("log"), fuelUsed: 42, nodeKey: Keys.node(node).publicKey
        ).signed(by: Keys.node(node))
    }

    static func temporaryPath() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poe-ledger-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("ledger.sqlite").path
    }
}

/// Signs transactions with the right nonces and applies them as consecutive batches.
final class Driver {
    let ledger: Ledger
    private var nonces: [PublicKey: UInt64] = [:]

    init(ledger: Ledger) { self.ledger = ledger }

    convenience init(genesis: Genesis = Fixtures.genesis()) throws {
        self.init(ledger: try Ledger.open(path: nil, genesis: genesis))
    }

    /// A signed transaction with the sender's next nonce.
    func transaction(_ signer: PrivateKey, _ body: TransactionBody) -> SignedTransaction {
        let nonce = (nonces[signer.publicKey] ?? 0) + 1
        nonces[signer.publicKey] = nonce
        return SignedTransaction.make(signer: signer, nonce: nonce, body: body)
    }

    @discardableResult
    func apply(_ transactions: [SignedTransaction]) throws -> BatchReceipt {
        try ledger.apply(batch: Batch(height: try ledger.height() + 1, transactions: transactions))
    }

    /// Applies one transaction in its own batch and returns its result.
    @discardableResult
    func run(_ signer: PrivateKey, _ body: TransactionBody) throws -> TransactionResult {
        try apply([transaction(signer, body)]).results[0]
    }

    /// Applies empty batches up to `height`.
    func advance(to height: UInt64) throws {
        while try ledger.height() < height { try apply([]) }
    }

    func submitJob(_ submitter: Int = 7, fee: UInt64 = 1_000, spec: JobSpec = Fixtures.spec()) throws -> Digest {
        let result = try run(Keys.account(submitter), .submitJob(spec: spec, fee: fee))
        guard let id = result.jobID else { throw Rejection(.invalidJobSpec, "submit failed: \(String(describing: result.rejection))") }
        return id
    }

    /// An attestation by node `node`, carried by the node key's own account.
    @discardableResult
    func attest(job: Digest, digest: Digest, node: Int) throws -> TransactionResult {
        try run(Keys.node(node), .attest(Fixtures.attestation(job: job, digest: digest, node: node)))
    }

    func balance(_ index: Int) throws -> UInt64 { try ledger.account(Keys.account(index).publicKey)?.balance ?? 0 }
    func bond(_ index: Int) throws -> UInt64 { try ledger.validator(account: Keys.account(index).publicKey)?.bond ?? 0 }
}
