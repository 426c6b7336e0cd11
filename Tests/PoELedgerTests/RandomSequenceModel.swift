import PoECrypto
import PoEWire
@testable import PoELedger

/// SplitMix64: a seeded PRNG for the property tests, so every failure replays from its seed.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    mutating func upTo(_ bound: UInt64) -> UInt64 { bound == UInt64.max ? next() : next() % (bound + 1) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}

/// Generates random transaction sequences against the ledger's rules, good and bad.
/// Validators: node keys 0, 1, 2 (genesis) and 4, 5, 6 (may register later) are honest:
/// they only ever attest the true digest of a job and never unbond. Node 3 is Byzantine:
/// it attests lies, equivocates, unbonds and withdraws. One Byzantine member is at most f
/// in every set this produces, so every anchored digest must be the truth.
struct RandomSequenceModel {
    static let honestNodes = [0, 1, 2, 4, 5, 6]
    static let byzantineNode = 3

    var rng: SplitMix64
    let genesis: Genesis
    private(set) var nonces: [PublicKey: UInt64] = [:]
    private(set) var jobs: [Digest] = []
    private var sent: [SignedTransaction] = []

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        var parameters = Fixtures.parameters
        parameters.epochLengthHeights = UInt64(2 + rng.below(7))
        parameters.jobDeadlineHeightsMax = UInt64(2 + rng.below(8))
        parameters.unbondingDelayHeights = UInt64(rng.below(5))
        parameters.wrongResultSlashBasisPoints = UInt16(rng.below(10_001))
        parameters.equivocationSlashBasisPoints = UInt16(rng.below(10_001))
        genesis = Fixtures.genesis(validatorCount: 4, parameters: parameters)
    }

    static func truth(_ job: Digest) -> Digest { Digest.sha256(job.bytes + Array("truth".utf8)) }
    static func lie(_ job: Digest, _ variant: Int) -> Digest { Digest.sha256(job.bytes + Array("lie \(variant)".utf8)) }

    mutating func learn(_ receipt: BatchReceipt) {
        for result in receipt.results { if let id = result.jobID { jobs.append(id) } }
    }

    mutating func batch(height: UInt64) -> Batch {
        let count = rng.below(9)
        return Batch(height: height, transactions: (0..<count).map { _ in randomTransaction() })
    }

    /// A validly signed transaction with a nonce above the sender's last (sometimes
    /// skipping some: gaps are allowed).
    private mutating func valid(_ signer: PrivateKey, _ body: TransactionBody) -> SignedTransaction {
        let nonce = (nonces[signer.publicKey] ?? 0) + 1 + (rng.chance(10) ? rng.upTo(2) : 0)
        nonces[signer.publicKey] = nonce
        let transaction = SignedTransaction.make(signer: signer, nonce: nonce, body: body)
        sent.append(transaction)
        return transaction
    }

    private mutating func randomTransaction() -> SignedTransaction {
        let roll = rng.below(100)
        switch roll {
        case 0..<28: return attestation()
        case 28..<43: return transfer()
        case 43..<56: return submitJob()
        case 56..<61: return valid(Keys.account(rng.below(8)), .publishCode(name: rng.pick(["a", "b", "c/1", "bad name"]), codeHash: Digest.sha256("code \(rng.below(3))")))
        case 61..<68: return register()
        case 68..<73: return byzantineStake()
        case 73..<78: return evidence()
        case 78..<83: return badSignature()
        case 83..<88: return replay()
        case 88..<92: return wrongNonce()
        default: return malformed()
        }
    }

    private mutating func attestation() -> SignedTransaction {
        let node = rng.chance(5) ? 9 : rng.pick(RandomSequenceModel.honestNodes + [3, 3])
        let job = jobs.isEmpty || rng.chance(5) ? Digest.sha256("unknown \(rng.below(4))") : rng.pick(jobs)
        let digest = node == RandomSequenceModel.byzantineNode
            ? rng.pick([RandomSequenceModel.truth(job), RandomSequenceModel.lie(job, 0), RandomSequenceModel.lie(job, 1)])
            : RandomSequenceModel.truth(job)
        let chain = rng.chance(3) ? "other-chain" : genesis.chainID
        let signed = Attestation(
            chainID: chain, jobID: job, resultDigest: digest, profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.sha256("o"), logHash: Digest.sha256("l"),
            fuelUsed: rng.next(), nodeKey: Keys.node(node).publicKey
        ).signed(by: Keys.node(node))
        // Usually carried by the node key's own account, sometimes relayed by another.
        let carrier = rng.chance(80) ? Keys.node(node) : Keys.account(rng.below(8))
        return valid(carrier, .attest(signed))
    }

    private mutating func transfer() -> SignedTransaction {
        let from = rng.chance(90) ? rng.below(8) : 10 + rng.below(3)
        let amount = rng.chance(10) ? rng.upTo(UInt64.max) : rng.upTo(rng.chance(80) ? 5_000 : 150_000)
        return valid(Keys.account(from), .transfer(to: Keys.account(rng.below(13)).publicKey, amount: amount))
    }

    private mutating func submitJob() -> SignedTransaction {
        let code: CodeReference = rng.chance(70) ? .hash(Digest.sha256("code")) : .name(rng.pick(["a", "b", "c/1", "zzz"]))
        let deadline = rng.upTo(genesis.parameters.jobDeadlineHeightsMax + 1)
        var spec = Fixtures.spec(deadlineHeights: deadline, code: code)
        spec.fuelLimit = rng.chance(5) ? 0 : 1 + rng.upTo(1_000_000)
        let fee = rng.chance(3) ? 500_000 : rng.upTo(3_000)
        return valid(Keys.account(rng.below(8)), .submitJob(spec: spec, fee: fee))
    }

    private mutating func register() -> SignedTransaction {
        let account = rng.pick([4, 5, 6])
        let node = rng.chance(90) ? account : rng.pick([0, 4, 5, 6])
        let stake = rng.chance(10) ? 0 : 500 + rng.upTo(2_500)
        return valid(Keys.account(account), .register(stake: stake, endpoint: "h:\(account)", nodeKey: Keys.node(node).publicKey))
    }

    private mutating func byzantineStake() -> SignedTransaction {
        let account = Keys.account(RandomSequenceModel.byzantineNode)
        switch rng.below(3) {
        case 0: return valid(account, .unbond(amount: rng.upTo(12_000)))
        case 1: return valid(account, .withdraw)
        default:
            return valid(account, .register(stake: rng.upTo(3_000), endpoint: "h:3", nodeKey: Keys.node(3).publicKey))
        }
    }

    private mutating func evidence() -> SignedTransaction {
        let job = jobs.isEmpty ? Digest.sha256("no job") : rng.pick(jobs)
        let node = rng.chance(85) ? RandomSequenceModel.byzantineNode : 9
        func signed(_ digest: Digest) -> SignedAttestation {
            Attestation(
                chainID: genesis.chainID, jobID: job, resultDigest: digest, profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.sha256("o"),
                logHash: Digest.sha256("l"), fuelUsed: 1, nodeKey: Keys.node(node).publicKey
            ).signed(by: Keys.node(node))
        }
        let second = rng.chance(80) ? RandomSequenceModel.lie(job, 1) : RandomSequenceModel.lie(job, 0)
        return valid(Keys.account(rng.below(8)), .evidence(first: signed(RandomSequenceModel.lie(job, 0)), second: signed(second)))
    }

    /// A transaction whose signature does not verify: it must not consume the nonce.
    private mutating func badSignature() -> SignedTransaction {
        let signer = Keys.account(rng.below(8))
        let nonce = (nonces[signer.publicKey] ?? 0) + 1
        var transaction = SignedTransaction.make(signer: signer, nonce: nonce, body: .transfer(to: Keys.account(9).publicKey, amount: 1))
        transaction.nonce = nonce  // keep the nonce, break the signature
        var bytes = transaction.signature.bytes
        bytes[rng.below(64)] ^= UInt8(1 + rng.below(255))
        transaction.signature = try! Signature(bytes: bytes)
        return transaction
    }

    private mutating func replay() -> SignedTransaction {
        sent.isEmpty ? badSignature() : rng.pick(sent)
    }

    private mutating func wrongNonce() -> SignedTransaction {
        let signer = Keys.account(rng.below(8))
        let current = nonces[signer.publicKey] ?? 0
        let nonce = current == 0 ? 0 : rng.upTo(current)
        return SignedTransaction.make(signer: signer, nonce: nonce, body: .transfer(to: Keys.account(9).publicKey, amount: 1))
    }

    /// Correctly signed bytes that are not a transaction body: failed, nonce consumed.
    private mutating func malformed() -> SignedTransaction {
        let signer = Keys.account(rng.below(8))
        let nonce = (nonces[signer.publicKey] ?? 0) + 1
        nonces[signer.publicKey] = nonce
        let body = (0..<rng.below(40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let message = SignedTransaction.signedBytes(sender: signer.publicKey, nonce: nonce, body: body)
        return SignedTransaction(sender: signer.publicKey, nonce: nonce, body: body, signature: signer.sign(message, domain: .transaction))
    }
}
