import PoECrypto
import WASI

/// The job's wall clock: always 2024-01-01T00:00:00Z. A job that reads the time gets
/// the same answer on every validator.
struct FixedWallClock: WallClock {
    static let seconds: UInt64 = 1_704_067_200

    func now() throws -> WallClock.Duration { (seconds: FixedWallClock.seconds, nanoseconds: 0) }
    func resolution() throws -> WallClock.Duration { (seconds: 0, nanoseconds: 1) }
}

/// The job's monotonic clock: stopped at zero. A job that waits for time to pass spins
/// until its fuel runs out, which is the same on every validator.
struct FixedMonotonicClock: MonotonicClock {
    func now() throws -> MonotonicClock.Instant { 0 }
    func resolution() throws -> MonotonicClock.Duration { 1 }
}

/// The job's random source: SHA-256 in counter mode over the job ID, so every validator
/// hands the job the same bytes. Block i = SHA-256("poe.job.random.v1" ‖ jobID ‖ i, big-endian).
struct SeededRandom: RandomBufferGenerator {
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    private var block: [UInt8] = []
    private var blockOffset = 0

    init(jobID: Digest) {
        seed = Array("poe.job.random.v1".utf8) + jobID.bytes
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
