import PoECrypto
import WASI

/// The job's wall clock: always the profile's second (2024-01-01T00:00:00Z in poe-wasm/2).
/// A job that reads the time gets the same answer on every validator.
struct FixedWallClock: WallClock {
    let seconds: UInt64

    func now() throws -> WallClock.Duration { (seconds: seconds, nanoseconds: 0) }
    func resolution() throws -> WallClock.Duration { (seconds: 0, nanoseconds: 1) }
}

/// The job's monotonic clock: stopped. A job that waits for time to pass spins until its
/// fuel runs out, which is the same on every validator.
struct FixedMonotonicClock: MonotonicClock {
    let nanoseconds: UInt64

    func now() throws -> MonotonicClock.Instant { nanoseconds }
    func resolution() throws -> MonotonicClock.Duration { 1 }
}

/// The job's random source: SHA-256 in counter mode over the job ID, so every validator
/// hands the job the same bytes. Block i = SHA-256(domain ‖ jobID ‖ i, big-endian), the
/// domain being the profile's ("poe.job.random.v1").
struct SeededRandom: RandomBufferGenerator {
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    private var block: [UInt8] = []
    private var blockOffset = 0

    init(domain: String, jobID: Digest) {
        seed = Array(domain.utf8) + jobID.bytes
    }

    mutating func fill(buffer: UnsafeMutableBufferPointer<UInt8>) {
        var filled = 0
        while filled < buffer.count {
            if blockOffset == block.count { refill() }
            let count = min(block.count - blockOffset, buffer.count - filled)
            for index in 0..<count { buffer[filled + index] = block[blockOffset + index] }
            blockOffset += count
            filled += count
        }
    }

    private mutating func refill() {
        var preimage = seed
        withUnsafeBytes(of: counter.bigEndian) { preimage.append(contentsOf: $0) }
        block = Digest.sha256(preimage).bytes
        blockOffset = 0
        counter += 1
    }
}
