public import PoECrypto

/// The pre-prepares a new view must carry, computed from its view changes (§4.4):
/// min-s is the latest stable checkpoint in V; for every n in (min-s, max-s] the batch of
/// the highest-view prepared certificate for n, or the null batch if there is none.
/// The primary computes it to build NEW-VIEW; every backup recomputes it to check.
public struct NewViewPlan: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let sequence: UInt64
        public let batch: Batch
    }

    public let stableSequence: UInt64
    public let stableDigest: Digest
    public let stableProof: [Signed<Checkpoint>]
    public let entries: [Entry]

    public var maxSequence: UInt64 { entries.last?.sequence ?? stableSequence }

    public init(viewChanges: [ViewChange], config: Config) {
        precondition(!viewChanges.isEmpty, "a new view needs view changes")
        var best = viewChanges[0]
        for change in viewChanges.dropFirst() where change.stableSequence > best.stableSequence { best = change }
        stableSequence = best.stableSequence
        stableDigest = best.stableDigest
        stableProof = best.checkpointProof
        var chosen: [UInt64: PreparedCertificate] = [:]
        if !config.unsafeIgnorePreparedCertificatesInNewView {
            for change in viewChanges {
                for certificate in change.prepared where certificate.sequence > best.stableSequence {
                    guard let current = chosen[certificate.sequence] else {
                        chosen[certificate.sequence] = certificate
                        continue
                    }
                    if certificate.view > current.view || (certificate.view == current.view && certificate.digest < current.digest) {
                        chosen[certificate.sequence] = certificate
                    }
                }
            }
        }
        let maxSequence = chosen.keys.max() ?? best.stableSequence
        var entries: [Entry] = []
        if maxSequence > best.stableSequence {
            for sequence in (best.stableSequence + 1)...maxSequence {
                entries.append(Entry(sequence: sequence, batch: chosen[sequence]?.prePrepare.payload.batch ?? .null))
            }
        }
        self.entries = entries
    }

    /// True if `prePrepares` are exactly this plan's, in order.
    public func matches(_ prePrepares: [Signed<PrePrepare>]) -> Bool {
        guard prePrepares.count == entries.count else { return false }
        for (entry, prePrepare) in zip(entries, prePrepares) {
            guard entry.sequence == prePrepare.payload.sequence, entry.batch.digest == prePrepare.payload.batch.digest else {
                return false
            }
        }
        return true
    }
}
