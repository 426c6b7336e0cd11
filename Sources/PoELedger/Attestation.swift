public import PoECrypto
public import PoEWire

/// A validator's statement of a job's result. `resultDigest` is what validators agree on; the
/// ledger treats it as opaque. The executor defines it over every other field but the
/// chain and the key (`PoEExecutor.ResultPreimage`: version, job, profile, outcome,
/// output hash, log hash, fuel), so anyone holding an attestation can recompute it and
/// so check the outcome it reports, offline.
public struct Attestation: Sendable, Equatable {
    /// The largest outcome encoding (a tag and a small payload).
    public static let outcomeBytesMax = 16

    public var chainID: String
    public var jobID: Digest
    public var resultDigest: Digest
    /// The fingerprint of the execution profile the job ran under.
    public var profile: Digest
    /// How the run ended, as the executor encodes it (`PoEExecutor.Outcome`).
    public var outcome: [UInt8]
    public var outputHash: Digest
    public var logHash: Digest
    public var fuelUsed: UInt64
    /// The validator's node key, which signs the attestation.
    public var nodeKey: PublicKey

    public init(
        chainID: String, jobID: Digest, resultDigest: Digest, profile: Digest, outcome: [UInt8], outputHash: Digest,
        logHash: Digest, fuelUsed: UInt64, nodeKey: PublicKey
    ) {
        precondition(outcome.count <= Attestation.outcomeBytesMax, "an outcome encodes in a few bytes")
        self.chainID = chainID
        self.jobID = jobID
        self.resultDigest = resultDigest
        self.profile = profile
        self.outcome = outcome
        self.outputHash = outputHash
        self.logHash = logHash
        self.fuelUsed = fuelUsed
        self.nodeKey = nodeKey
    }

    /// Signs with the node key; `signer.publicKey` must be `nodeKey`.
    public func signed(by signer: PrivateKey) -> SignedAttestation {
        precondition(signer.publicKey == nodeKey, "an attestation is signed by its own node key")
        return SignedAttestation(attestation: self, signature: signer.sign(wireBytes, domain: .attestation))
    }
}

/// An attestation with its node-key signature (domain `.attestation`, over the canonical
/// encoding of the attestation, chain ID included).
public struct SignedAttestation: Sendable, Equatable {
    public var attestation: Attestation
    public var signature: Signature

    public init(attestation: Attestation, signature: Signature) {
        self.attestation = attestation
        self.signature = signature
    }

    public var isSignatureValid: Bool {
        attestation.nodeKey.verify(signature, for: attestation.wireBytes, domain: .attestation)
    }
}

extension Attestation: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeString(chainID, bound: Genesis.chainIDBytesMax)
        writer.write(jobID)
        writer.write(resultDigest)
        writer.write(profile)
        writer.writeBytes(outcome, bound: Attestation.outcomeBytesMax)
        writer.write(outputHash)
        writer.write(logHash)
        writer.write(fuelUsed)
        writer.write(nodeKey)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        chainID = try reader.readString(bound: Genesis.chainIDBytesMax, field: "chain ID")
        jobID = try reader.read()
        resultDigest = try reader.read()
        profile = try reader.read()
        outcome = try reader.readBytes(bound: Attestation.outcomeBytesMax, field: "outcome")
        outputHash = try reader.read()
        logHash = try reader.read()
        fuelUsed = try reader.readUInt64()
        nodeKey = try reader.read()
    }
}

extension SignedAttestation: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(attestation)
        writer.write(signature)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        attestation = try reader.read()
        signature = try reader.read()
    }
}
