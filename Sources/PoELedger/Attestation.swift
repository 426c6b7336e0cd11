public import PoECrypto
public import PoEWire

/// A validator's statement of a job's result. `resultDigest` is what validators agree on; the
/// ledger treats it as opaque (the executor defines it over output, log and fuel).
public struct Attestation: Sendable, Equatable {
    public var chainID: String
    public var jobID: Digest
    public var resultDigest: Digest
    public var outputHash: Digest
    public var logHash: Digest
    public var fuelUsed: UInt64
    /// The validator's node key, which signs the attestation.
    public var nodeKey: PublicKey

    public init(
        chainID: String, jobID: Digest, resultDigest: Digest, outputHash: Digest, logHash: Digest,
        fuelUsed: UInt64, nodeKey: PublicKey
    ) {
        self.chainID = chainID
        self.jobID = jobID
        self.resultDigest = resultDigest
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
        writer.write(outputHash)
        writer.write(logHash)
        writer.write(fuelUsed)
        writer.write(nodeKey)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        chainID = try reader.readString(bound: Genesis.chainIDBytesMax, field: "chain ID")
        jobID = try reader.read()
        resultDigest = try reader.read()
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
