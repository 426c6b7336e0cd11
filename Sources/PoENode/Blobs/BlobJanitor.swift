public import Foundation
import NIOConcurrencyHelpers
public import Logging
public import PoEExecutor
public import PoELedger
import PoECrypto

/// Deletes the blobs no one needs any more: those the ledger does not name (an upload no
/// job used, a result that was never attested) once `unreferencedSeconds` old, and those
/// of jobs settled more than `retentionEpochs` epochs ago. A sweep never deletes a blob
/// of an unsettled job, nor a published code.
public final class BlobJanitor: Sendable {
    /// What one sweep did.
    public struct Sweep: Sendable, Equatable {
        public var kept = 0
        public var keptBytes = 0
        /// Bytes charged for what is kept (each blob at least `BlobLimits.chargeBytesMin`).
        public var keptCharge = 0
        public var deleted = 0
        public var deletedBytes = 0
        public var temporariesRemoved = 0
    }

    let store: BlobStore
    let ledger: Ledger
    let uploads: BlobUploads
    let logger: Logger

    public init(store: BlobStore, ledger: Ledger, uploads: BlobUploads, logger: Logger) {
        self.store = store
        self.ledger = ledger
        self.uploads = uploads
        self.logger = logger
    }

    /// The first height whose deadline keeps a job's blobs, at ledger height `height`.
    public static func retentionFloor(height: UInt64, retentionEpochs: UInt64, epochLengthHeights: UInt64) -> UInt64 {
        let (span, overflow) = retentionEpochs.multipliedReportingOverflow(by: epochLengthHeights)
        return overflow || span >= height ? 0 : height - span
    }

    /// Whether a blob goes: named by no job kept and older than the unreferenced age.
    static func isExpired(_ entry: BlobStore.Entry, inUse: Set<Digest>, writtenBefore cutoff: Date) -> Bool {
        !inUse.contains(entry.digest) && entry.written < cutoff
    }

    /// One pass over the store at time `now`.
    @discardableResult
    public func sweep(now: Date) throws -> Sweep {
        let limits = uploads.limits
        uploads.sweepBegan()
        let floor = BlobJanitor.retentionFloor(
            height: try ledger.height(), retentionEpochs: limits.retentionEpochs,
            epochLengthHeights: ledger.genesis.parameters.epochLengthHeights)
        let inUse = try ledger.blobsInUse(deadlineFrom: floor)
        let cutoff = now.addingTimeInterval(-TimeInterval(limits.unreferencedSeconds))
        var sweep = Sweep()
        // At most `pendingUploadsMax`: only the deleted blobs the upload account tracks.
        var deletedPending: Set<Digest> = []
        // Deleted as they are met (the listing is one folder at a time), so a store full
        // of expired blobs costs no memory.
        try store.forEachBlob { entry in
            if BlobJanitor.isExpired(entry, inUse: inUse, writtenBefore: cutoff) {
                do {
                    try store.remove(entry.digest)
                    sweep.deleted += 1
                    if uploads.isPending(entry.digest) { deletedPending.insert(entry.digest) }
                    sweep.deletedBytes += entry.byteCount
                    return
                } catch {
                    // Left for the next sweep; it still counts as held.
                    logger.warning(
                        "could not delete an expired blob", metadata: ["blob": "\(entry.digest.short)", "error": "\(error)"])
                }
            }
            sweep.kept += 1
            sweep.keptBytes += entry.byteCount
            sweep.keptCharge += BlobLimits.charge(entry.byteCount)
        }
        // A write cut short by a crash leaves a temporary file; an hour is far longer
        // than any write.
        sweep.temporariesRemoved = store.removeTemporaries(writtenBefore: now.addingTimeInterval(-3_600))
        uploads.sweepEnded(measuredCharge: sweep.keptCharge, inUse: inUse, deleted: deletedPending, deletedCount: sweep.deleted)
        return sweep
    }
}

/// Whether the janitor's thread should go on.
public enum JanitorRun: Sendable, Equatable {
    case running
    case stopRequested
    case stopped
}

extension BlobJanitor {
    /// Sweeps at once, then every `everySeconds`, on a thread of its own (a sweep reads
    /// the disk and the ledger; the consensus loop never waits for it).
    func start(everySeconds: Int) -> NIOLockedValueBox<JanitorRun> {
        precondition(everySeconds > 0, "the sweep period must be positive")
        let run = NIOLockedValueBox(JanitorRun.running)
        let thread = Thread { [self] in
            var next = Date()
            while run.withLockedValue({ $0 == .running }) {
                if Date() >= next {
                    do {
                        let sweep = try sweep(now: Date())
                        if sweep.deleted > 0 || sweep.temporariesRemoved > 0 {
                            logger.info(
                                "blob sweep deleted expired blobs",
                                metadata: [
                                    "deleted": "\(sweep.deleted)", "deletedBytes": "\(sweep.deletedBytes)",
                                    "kept": "\(sweep.kept)", "keptBytes": "\(sweep.keptBytes)",
                                    "temporaries": "\(sweep.temporariesRemoved)",
                                ])
                        }
                    } catch {
                        logger.warning("blob sweep failed; retrying at the next period", metadata: ["error": "\(error)"])
                    }
                    next = Date().addingTimeInterval(TimeInterval(everySeconds))
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
            run.withLockedValue { $0 = .stopped }
        }
        thread.name = "poe.node.janitor"
        thread.start()
        return run
    }

    /// Asks the thread to stop and waits for it (at most one sweep's time).
    static func stop(_ run: NIOLockedValueBox<JanitorRun>) async {
        run.withLockedValue { if $0 == .running { $0 = .stopRequested } }
        while run.withLockedValue({ $0 != .stopped }) { try? await Task.sleep(for: .milliseconds(10)) }
    }
}
