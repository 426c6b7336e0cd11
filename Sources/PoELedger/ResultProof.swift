public import PoECrypto
public import PoEWire

public enum ProofError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidValidatorSet(String)
    case malformed(String)
    case jobIDMismatch
    case validatorSetMismatch
    case attestationForOtherJob(nodeKey: String)
    case attestationDigestMismatch(nodeKey: String)
    case foreignSigner(nodeKey: String)
    case duplicateSigner(nodeKey: String)
    case forgedSignature(nodeKey: String)
    case tooFewAttestations(valid: Int, quorum: Int)

    public var description: String {
        switch self {
        case .invalidValidatorSet(let why): return "invalid validator set: \(why)"
        case .malformed(let why): return "malformed proof: \(why)"
        case .jobIDMismatch: return "the job ID is not the digest of the chain, submitter, nonce and spec"
        case .validatorSetMismatch: return "the proof's validator set is not the trusted set of the job's epoch"
        case .attestationForOtherJob(let key): return "attestation by \(key) is for another job or chain"
        case .attestationDigestMismatch(let key): return "attestation by \(key) is for another result digest"
        case .foreignSigner(let key): return "attestation by \(key), which is not in the validator set"
        case .duplicateSigner(let key): return "two attestations by \(key)"
        case .forgedSignature(let key): return "attestation by \(key) has an invalid signature"
        case .tooFewAttestations(let valid, let quorum): return "\(valid) attestations, quorum is \(quorum)"
        }
    }
}

/// What a submitter keeps to show a job's result: checkable offline with nothing but the
/// proof and a trusted validator set.
public struct ResultProof: Sendable, Equatable {
    public var chainID: String
    public var jobID: Digest
    public var submitter: PublicKey
    public var nonce: UInt64
    public var spec: JobSpec
    public var agreedDigest: Digest
    /// The set of the job's epoch, as the ledger recorded it. `verify` compares it with the
    /// caller's trusted set: a proof cannot vouch for its own validators.
    public var validatorSet: ValidatorSet
    public var attestations: [SignedAttestation]

    public init(
        chainID: String, jobID: Digest, submitter: PublicKey, nonce: UInt64, spec: JobSpec, agreedDigest: Digest,
        validatorSet: ValidatorSet, attestations: [SignedAttestation]
    ) {
        self.chainID = chainID
        self.jobID = jobID
        self.submitter = submitter
        self.nonce = nonce
        self.spec = spec
        self.agreedDigest = agreedDigest
        self.validatorSet = validatorSet
        self.attestations = attestations
    }

    /// Checks the proof against `trusted`, the validator set of the job's epoch obtained
    /// from a source the caller trusts. Pure: no database, no network.
    public func verify(validatorSet trusted: ValidatorSet) throws(ProofError) {
        try checkBounds()
        guard JobID.compute(chainID: chainID, submitter: submitter, nonce: nonce, spec: spec) == jobID else {
            throw .jobIDMismatch
        }
        guard validatorSet == trusted else { throw .validatorSetMismatch }
        var signers = Set<PublicKey>()
        for signed in attestations {
            let attestation = signed.attestation
            let key = attestation.nodeKey.hex
            guard attestation.chainID == chainID, attestation.jobID == jobID else { throw .attestationForOtherJob(nodeKey: key) }
            guard attestation.resultDigest == agreedDigest else { throw .attestationDigestMismatch(nodeKey: key) }
            guard trusted.contains(attestation.nodeKey) else { throw .foreignSigner(nodeKey: key) }
            guard signers.insert(attestation.nodeKey).inserted else { throw .duplicateSigner(nodeKey: key) }
            guard signed.isSignatureValid else { throw .forgedSignature(nodeKey: key) }
        }
        guard signers.count >= trusted.quorum else {
            throw .tooFewAttestations(valid: signers.count, quorum: trusted.quorum)
        }
    }
}

extension ResultProof {
    /// A proof built in memory rather than decoded may break the encoding bounds that
    /// hashing it relies on: refuse it with an error instead of trapping.
    fileprivate func checkBounds() throws(ProofError) {
        guard chainID.utf8.count <= Genesis.chainIDBytesMax else { throw .malformed("chain ID over \(Genesis.chainIDBytesMax) bytes") }
        guard spec.entryPoint.utf8.count <= JobSpec.entryPointBytesMax else { throw .malformed("entry point too long") }
        if case .name(let name) = spec.code, name.utf8.count > TransactionBody.codeNameBytesMax {
            throw .malformed("code name too long")
        }
        guard attestations.count <= ValidatorSet.memberCountMax else { throw .malformed("too many attestations") }
        for signed in attestations where signed.attestation.chainID.utf8.count > Genesis.chainIDBytesMax {
            throw .malformed("attestation chain ID too long")
        }
    }
}

extension ResultProof: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeString(chainID, bound: Genesis.chainIDBytesMax)
        writer.write(jobID)
        writer.write(submitter)
        writer.write(nonce)
        writer.write(spec)
        writer.write(agreedDigest)
        writer.write(validatorSet)
        writer.writeArray(attestations, bound: ValidatorSet.memberCountMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        chainID = try reader.readString(bound: Genesis.chainIDBytesMax, field: "chain ID")
        jobID = try reader.read()
        submitter = try reader.read()
        nonce = try reader.readUInt64()
        spec = try reader.read()
        agreedDigest = try reader.read()
        validatorSet = try reader.read()
        attestations = try reader.readArray(bound: ValidatorSet.memberCountMax, minElementBytes: 236, field: "attestations")
    }
}
