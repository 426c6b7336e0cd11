public import PoECrypto

/// A state archive being fetched in chunks, all from one peer: the first peer to answer
/// a request for its start. Its bytes are checked only whole, against the checkpoint
/// digest a quorum certified, so mixing peers would leave a bad chunk unattributable;
/// with one source, an archive that fails the check names the peer not to ask again.
///
/// Chunks may arrive in any order (a request is answered with a window of them, and a
/// lost one is asked for again); each is kept at its offset until the archive is whole.
/// Memory is bounded by `total`, itself at most `PeerMessage.stateArchiveBytesMax`.
struct StateDownload {
    let sequence: UInt64
    let source: PublicKey
    let total: Int
    /// Every chunk but the last has this size: the source's first chunk sets it.
    let chunkSize: Int
    private var chunks: [Int: [UInt8]] = [:]
    private(set) var received = 0
    /// The start of the first chunk not received yet.
    private(set) var firstMissing = 0
    /// Where the window last asked of the source ends: the next is asked once every chunk
    /// before it is in. The first request, to every peer, asked for one chunk.
    var requestedUpTo: Int
    /// Retry periods in a row with no new chunk: the source is asked again after one and
    /// given up after three.
    var quietPeriods = 0

    init(sequence: UInt64, source: PublicKey, total: Int, chunkSize: Int) {
        precondition(total > 0 && total <= PeerMessage.stateArchiveBytesMax, "archive size out of bounds")
        precondition(chunkSize > 0 && chunkSize <= PeerMessage.stateChunkBytesMax, "chunk size out of bounds")
        self.sequence = sequence
        self.source = source
        self.total = total
        self.chunkSize = chunkSize
        requestedUpTo = chunkSize
    }

    var isComplete: Bool { received == total }

    /// Keeps `chunk` if it is a piece of this archive from its source not held yet; anything
    /// else (a duplicate, another peer's answer, a different size or cut) is ignored.
    mutating func add(_ chunk: [UInt8], offset: UInt64, total: UInt64, from peer: PublicKey) -> Bool {
        guard peer == source, total == UInt64(self.total), offset < total, Int(offset) % chunkSize == 0 else { return false }
        let start = Int(offset)
        guard chunks[start] == nil, chunk.count == min(chunkSize, self.total - start) else { return false }
        chunks[start] = chunk
        received += chunk.count
        quietPeriods = 0
        while firstMissing < self.total, let held = chunks[firstMissing] { firstMissing += held.count }
        assert(received <= self.total, "download past its total")
        return true
    }

    /// The archive, once complete.
    func assembled() -> [UInt8] {
        precondition(isComplete, "assembling an incomplete archive")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        for start in stride(from: 0, to: total, by: chunkSize) { bytes.append(contentsOf: chunks[start]!) }
        return bytes
    }
}
