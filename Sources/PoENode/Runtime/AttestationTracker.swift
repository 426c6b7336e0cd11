import PoECrypto
import PoELedger

/// This node's attestations on their way into the ledger. An attestation travels as a
/// transaction with a nonce; if it is not committed within a few heights (a lost
/// request, a view change) it is sent again in a new transaction. The attestation
/// itself never changes, so resending it can never look like equivocation.
struct AttestationTracker {
    struct Entry {
        var attestations: [SignedAttestation]
        var sentHeight: UInt64
    }

    static let entriesMax = 4096

    private(set) var open: [Digest: Entry] = [:]
    mutating func sent(_ attestations: [SignedAttestation], job: Digest, height: UInt64) {
        guard open.count < AttestationTracker.entriesMax || open[job] != nil else { return }
        open[job] = Entry(attestations: attestations, sentHeight: height)
    }

    /// An attestation was committed: if it is this node's, stop resending it.
    mutating func committed(_ attestation: SignedAttestation, ownKey: PublicKey) {
        if attestation.attestation.nodeKey == ownKey { open[attestation.attestation.jobID] = nil }
    }

    /// Jobs whose attestation was sent at or before `height - resubmitHeights`.
    func stale(at height: UInt64, resubmitHeights: UInt64) -> [Digest] {
        open.filter { $0.value.sentHeight + resubmitHeights <= height }.map(\.key).sorted()
    }

    mutating func forget(_ job: Digest) { open[job] = nil }
}
