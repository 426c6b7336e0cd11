/// What a signature is for. Every signed message is hashed under its domain's tag
/// (a BIP-340 tagged hash), so a signature made for one purpose never verifies for
/// another, whatever the bytes of the message.
public enum SigningDomain: String, CaseIterable, Sendable {
    /// A ledger transaction, signed by an account key.
    case transaction = "poe/v1/transaction"
    /// A client request submitted to the consensus core.
    case clientRequest = "poe/v1/client-request"
    /// A PBFT protocol message (pre-prepare, prepare, commit, checkpoint, view change,
    /// new view); the phase is part of the signed bytes.
    case consensus = "poe/v1/consensus"
    /// A validator's attestation of a job result.
    case attestation = "poe/v1/attestation"
    /// The peer-link handshake, proving possession of the node key.
    case peerHandshake = "poe/v1/peer-handshake"
    /// A blob upload: an account key over the blob's SHA-256, so that the node charges
    /// the upload to that account's quota.
    case blobUpload = "poe/v1/blob-upload"

    /// SHA-256(tag) || SHA-256(tag), the BIP-340 tagged-hash prefix, computed once.
    private static let prefixes: [SigningDomain: [UInt8]] = Dictionary(
        uniqueKeysWithValues: SigningDomain.allCases.map { domain in
            let tagHash = Digest.sha256(domain.rawValue).bytes
            return (domain, tagHash + tagHash)
        })

    /// The 32 bytes actually signed: the domain's tagged hash of the message.
    public func messageDigest(_ message: [UInt8]) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(SigningDomain.prefixes[self]!)
        hasher.update(message)
        return hasher.finalize()
    }
}
