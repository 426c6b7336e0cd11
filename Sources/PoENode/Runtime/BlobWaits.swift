import PoECrypto
import PoETransport

/// Jobs waiting for blobs this node does not have yet, and the blobs asked of peers.
/// Bounded: past `jobsMax` waiting jobs, new ones are refused (and their deadline will
/// pass without this node's attestation, which costs it only the fee share).
struct BlobWaits {
    static let jobsMax = 1024

    private(set) var waiting: [Digest: Set<Digest>] = [:]

    var isFull: Bool { waiting.count >= BlobWaits.jobsMax }

    mutating func wait(job: Digest, for blobs: Set<Digest>) {
        precondition(!blobs.isEmpty && !isFull)
        waiting[job] = blobs
    }

    /// Marks `blob` present; returns the jobs that now have everything they need.
    mutating func arrived(_ blob: Digest) -> [Digest] {
        var ready: [Digest] = []
        for (job, var missing) in waiting where missing.contains(blob) {
            missing.remove(blob)
            if missing.isEmpty {
                waiting[job] = nil
                ready.append(job)
            } else {
                waiting[job] = missing
            }
        }
        return ready.sorted()
    }

    var wanted: Set<Digest> { waiting.values.reduce(into: Set()) { $0.formUnion($1) } }

    func retry(network: PeerNetwork) {
        for blob in wanted.sorted() { network.broadcast(PeerMessage.blobRequest(blob).wireBytes) }
    }

    mutating func forget(_ job: Digest) { waiting[job] = nil }
}
