import Foundation
import PoECrypto
import PoENodeCore

#if canImport(Glibc)
    import Glibc
#endif

/// Checkpoint archives as files, one per sequence number (`<sequence>.state`), written
/// to a temporary name, fsynced, renamed into place and the folder fsynced: after a crash
/// an archive is either whole or absent, never torn.
final class CheckpointFiles: CheckpointStore, @unchecked Sendable {
    let folder: URL

    init(folder: URL) throws {
        self.folder = folder
        // The archives hold the whole ledger state: folder 0700, files 0600 (`writeSynced`).
        try OwnerOnly.folder(folder.path)
        // A write interrupted by a crash leaves only a temporary file: remove it.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    func write(sequence: UInt64, _ produce: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        let final = path(sequence)
        let temporary = folder.appendingPathComponent("\(sequence).tmp")
        do {
            try writeSynced(to: temporary.path, produce)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, final.path) == 0 else {
            let failure = CheckpointFileError("rename to \(final.path) failed: errno \(errno)")
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        }
        try syncFolder()
    }

    func read(sequence: UInt64) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path(sequence).path) else { return nil }
        return [UInt8](data)
    }

    func byteCount(sequence: UInt64) -> Int? {
        var status = stat()
        guard stat(path(sequence).path, &status) == 0 else { return nil }
        return Int(status.st_size)
    }

    func sequences() -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name in
            guard name.hasSuffix(".state") else { return nil }
            return UInt64(name.dropLast(".state".count))
        }.sorted()
    }

    func remove(sequence: UInt64) {
        try? FileManager.default.removeItem(at: path(sequence))
    }

    private func path(_ sequence: UInt64) -> URL { folder.appendingPathComponent("\(sequence).state") }

    private func writeSynced(to path: String, _ produce: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CheckpointFileError("open \(path) failed: errno \(errno)") }
        defer { close(descriptor) }
        // Kept as well as thrown: a producer that swallowed it must not leave a short
        // archive that looks whole.
        var appendFailure: CheckpointFileError?
        try produce { bytes in
            if let appendFailure { throw appendFailure }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else {
                    let failure = CheckpointFileError("write \(path) failed: errno \(errno)")
                    appendFailure = failure
                    throw failure
                }
                written += count
            }
        }
        if let appendFailure { throw appendFailure }
        guard fsync(descriptor) == 0 else { throw CheckpointFileError("fsync \(path) failed: errno \(errno)") }
    }

    private func syncFolder() throws {
        let descriptor = open(folder.path, O_RDONLY)
        guard descriptor >= 0 else { throw CheckpointFileError("open \(folder.path) failed: errno \(errno)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw CheckpointFileError("fsync \(folder.path) failed: errno \(errno)") }
    }
}

struct CheckpointFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
