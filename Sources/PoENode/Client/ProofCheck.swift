public import PoECrypto
public import PoEExecutor
public import PoELedger
import PoEWire

/// Why an offline check of a result proof failed.
public enum ProofCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    case undecodable(String)
    case wrongChain(proof: String, genesis: String)
    /// The job ran in a later epoch, whose set genesis alone does not give.
    case epochNotInGenesis(UInt64)
    case invalidGenesisSet(String)
    case invalid(ProofError)
    /// No output hash is reported by a quorum of the agreed attestations.
    case noQuorumOutputHash
    case outputMismatch(expected: Digest, actual: Digest)
    /// Fewer than a quorum of the agreed attestations recompute to their digest from
    /// their own fields (profile, outcome, output, log, fuel).
    case digestNotRecomputed(recomputed: Int, quorum: Int)

    public var description: String {
        switch self {
        case .undecodable(let why): return "the proof file is not a result proof: \(why)"
        case .wrongChain(let proof, let genesis): return "the proof is for chain \"\(proof)\", the genesis for chain \"\(genesis)\""
        case .epochNotInGenesis(let epoch):
            return "the job ran in epoch \(epoch); genesis gives only the set of epoch 0, so this proof cannot be checked from genesis alone"
        case .invalidGenesisSet(let why): return "the genesis validator set is invalid: \(why)"
        case .invalid(let error): return "the proof does not verify: \(error)"
        case .noQuorumOutputHash: return "no output hash is reported by a quorum of the agreed attestations"
        case .outputMismatch(let expected, let actual):
            return "the output's SHA-256 is \(actual.hex), but the validators attested output hash \(expected.hex)"
        case .digestNotRecomputed(let recomputed, let quorum):
            return "only \(recomputed) of the agreed attestations recompute to their digest from their own fields; a quorum is \(quorum)"
        }
    }
}

/// What a successful check established.
public struct ProofCheckReport: Sendable, Equatable {
    public var proof: ResultProof
    /// Distinct validators of the trusted set that signed the agreed digest.
    public var signers: Int
    public var quorum: Int
    public var setSize: Int
    /// The output hash a quorum of the signers attested.
    public var outputHash: Digest
    /// True when an output was given and its hash matched `outputHash`.
    public var outputVerified: Bool
    /// How the run ended: a quorum of signers attested it, and the agreed digest commits to it.
    public var outcome: Outcome
    /// The execution profile's fingerprint the agreed digest commits to.
    public var profile: Digest
}

/// Offline verification of a job's result: the proof against a trusted validator set,
/// and optionally the output bytes against the attested output hash. Shared by
/// `poe verify`, `poe result --genesis` and the tests.
public enum ProofCheck {
    /// The set of epoch 0 exactly as the ledger records it: the genesis validators' node keys
    /// (`ValidatorSet` sorts them).
    public static func genesisValidatorSet(_ genesis: Genesis) throws(ProofCheckError) -> ValidatorSet {
        do {
            return try ValidatorSet(epoch: 0, nodeKeys: genesis.validators.map(\.nodeKey))
        } catch {
            throw .invalidGenesisSet(error.description)
        }
    }

    public static func verify(proofBytes: [UInt8], genesis: Genesis, output: [UInt8]?) throws(ProofCheckError) -> ProofCheckReport {
        let proof: ResultProof
        do {
            proof = try ResultProof.decode(wireBytes: proofBytes)
        } catch {
            throw .undecodable(error.description)
        }
        guard proof.chainID == genesis.chainID else { throw .wrongChain(proof: proof.chainID, genesis: genesis.chainID) }
        guard proof.validatorSet.epoch == 0 else { throw .epochNotInGenesis(proof.validatorSet.epoch) }
        return try verify(proof: proof, trusted: try genesisValidatorSet(genesis), output: output)
    }

    public static func verify(proof: ResultProof, trusted: ValidatorSet, output: [UInt8]?) throws(ProofCheckError) -> ProofCheckReport {
        do {
            try proof.verify(validatorSet: trusted)
        } catch {
            throw .invalid(error)
        }
        let outputHash = try quorumOutputHash(proof, quorum: trusted.quorum)
        let (outcome, profile) = try recomputedOutcome(proof, quorum: trusted.quorum)
        if let output {
            let actual = Digest.sha256(output)
            guard actual == outputHash else { throw .outputMismatch(expected: outputHash, actual: actual) }
        }
        return ProofCheckReport(
            proof: proof, signers: proof.attestations.count, quorum: trusted.quorum, setSize: trusted.count,
            outputHash: outputHash, outputVerified: output != nil, outcome: outcome, profile: profile)
    }

    /// The outcome a quorum of the agreed attestations report, each one checked to
    /// recompute the agreed digest from its own fields (`ResultPreimage`): a signer cannot
    /// attach an outcome other than the one the digest commits to.
    private static func recomputedOutcome(_ proof: ResultProof, quorum: Int) throws(ProofCheckError) -> (Outcome, Digest) {
        var consistent: [(Outcome, Digest)] = []
        for signed in proof.attestations {
            let attestation = signed.attestation
            guard let outcome = try? Outcome.decode(wireBytes: attestation.outcome) else { continue }
            let preimage = ResultPreimage(
                version: ExecutionResult.digestVersion, jobID: attestation.jobID, profile: attestation.profile,
                outcome: outcome, outputHash: attestation.outputHash, logHash: attestation.logHash,
                fuelUsed: attestation.fuelUsed)
            if Digest.of(preimage) == proof.agreedDigest { consistent.append((outcome, attestation.profile)) }
        }
        guard consistent.count >= quorum, let first = consistent.first else {
            throw .digestNotRecomputed(recomputed: consistent.count, quorum: quorum)
        }
        return first
    }

    /// The output hash that a quorum of the (already verified, distinct) signers reported:
    /// the result digest commits to it, so honest signers cannot differ, but the proof
    /// format does not force it.
    private static func quorumOutputHash(_ proof: ResultProof, quorum: Int) throws(ProofCheckError) -> Digest {
        var counts: [Digest: Int] = [:]
        for signed in proof.attestations { counts[signed.attestation.outputHash, default: 0] += 1 }
        guard let (hash, _) = counts.first(where: { $0.value >= quorum }) else { throw .noQuorumOutputHash }
        return hash
    }
}
