public import Foundation
public import PoECrypto

/// Why the blob store refused a request.
public enum BlobStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(Digest)
    /// The bytes on disk no longer hash to their name: the local copy is damaged and must
    /// be fetched again. Never handed to a caller as if it were the blob.
    case corrupted(expected: Digest, actual: Digest)
    case tooLarge(byteCount: Int, max: Int)
    case io(String)

    public var description: String {
        switch self {
        case .notFound(let digest): return "blob \(digest.short) not found"
        case .corrupted(let expected, let actual):
            return "blob \(expected.short) is corrupted on disk (its bytes hash to \(actual.short)); refusing it"
        case .tooLarge(let byteCount, let max): return "blob of \(byteCount) bytes exceeds the \(max)-byte bound"
        case .io(let message): return "blob store I/O error: \(message)"
        }
    }
}

/// A content-addressed store of blobs (job code, inputs, outputs, logs) on disk.
///
/// A blob lives at `root/ab/abcdef…` under the hex of its SHA-256, mode 0600 in folders
/// of mode 0700. Writes go to a temporary file that is renamed into place, so a reader
/// never sees half a blob; every read hashes the bytes again, so a damaged file is
/// refused rather than trusted.
public struct BlobStore: Sendable {
    /// Default largest blob: big enough for code and inputs of the example jobs with room.
    public static let blobBytesMaxDefault = 64 << 20

    public let root: URL
    public let blobBytesMax: Int

    public init(root: URL, blobBytesMax: Int = BlobStore.blobBytesMaxDefault) throws(BlobStoreError) {
        precondition(blobBytesMax > 0, "blobBytesMax must be positive")
        self.root = root
        self.blobBytesMax = blobBytesMax
        // Blobs are the node's data (job inputs and outputs): only its user may read them.
        do throws(OwnerOnlyError) {
            try OwnerOnly.folder(root.path)
            try OwnerOnly.folder(tempDirectory.path)
        } catch {
            throw .io(error.description)
        }
    }

    private var tempDirectory: URL { root.appendingPathComponent("tmp", isDirectory: true) }

    /// Where the blob named `digest` lives (whether or not it is there).
    public func path(of digest: Digest) -> URL {
        let hex = digest.hex
        return root.appendingPathComponent(String(hex.prefix(2)), isDirectory: true).appendingPathComponent(hex)
    }

    public func contains(_ digest: Digest) -> Bool {
        FileManager.default.fileExists(atPath: path(of: digest).path)
    }

    /// Stores `bytes` and returns their digest. Storing the same bytes twice is a no-op.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws(BlobStoreError) -> Digest {
        guard bytes.count <= blobBytesMax else { throw .tooLarge(byteCount: bytes.count, max: blobBytesMax) }
        let digest = Digest.sha256(bytes)
        let final = path(of: digest)
        if FileManager.default.fileExists(atPath: final.path) { return digest }
        let temp = tempDirectory.appendingPathComponent("\(digest.hex).\(UUID().uuidString)")
        do throws(OwnerOnlyError) {
            try OwnerOnly.folder(final.deletingLastPathComponent().path)
            try OwnerOnly.writeNew(bytes, to: temp.path)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw .io("writing blob \(digest.short): \(error.description)")
        }
        // rename(2) replaces atomically; a racing writer of the same blob writes the same bytes.
        guard rename(temp.path, final.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temp)
            throw .io("rename to \(final.path) failed: errno \(code)")
        }
        return digest
    }

    /// The bytes of blob `digest`, hashed again before they are returned.
    public func get(_ digest: Digest) throws(BlobStoreError) -> [UInt8] {
        let file = path(of: digest)
        let byteCount: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            byteCount = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw .notFound(digest)
        }
        // Refuse before reading: a huge file must not be loaded into memory.
        guard byteCount <= blobBytesMax else { throw .tooLarge(byteCount: byteCount, max: blobBytesMax) }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: file))
        } catch {
            throw .io("reading blob \(digest.short): \(error)")
        }
        guard bytes.count <= blobBytesMax else { throw .tooLarge(byteCount: bytes.count, max: blobBytesMax) }
        let actual = Digest.sha256(bytes)
        guard actual == digest else { throw .corrupted(expected: digest, actual: actual) }
        return bytes
    }

    /// One blob on disk, as a sweep sees it.
    public struct Entry: Sendable, Equatable {
        public var digest: Digest
        public var byteCount: Int
        /// When the file was written: a blob is never rewritten, so this is its age.
        public var written: Date

        public init(digest: Digest, byteCount: Int, written: Date) {
            self.digest = digest
            self.byteCount = byteCount
            self.written = written
        }
    }

    /// Calls `body` for every blob on disk, one folder at a time (never the whole list
    /// in memory). Files that are not named like a blob are skipped.
    public func forEachBlob(_ body: (Entry) -> Void) throws(BlobStoreError) {
        let manager = FileManager.default
        let folders: [String]
        do {
            folders = try manager.contentsOfDirectory(atPath: root.path)
        } catch {
            throw .io("listing \(root.path): \(error)")
        }
        for folder in folders.sorted() where folder.utf8.count == 2 && Hex.decode(folder) != nil {
            let folderURL = root.appendingPathComponent(folder, isDirectory: true)
            guard let names = try? manager.contentsOfDirectory(atPath: folderURL.path) else { continue }
            for name in names where name.hasPrefix(folder) {
                guard let digest = Digest(hex: name),
                    let attributes = try? manager.attributesOfItem(atPath: folderURL.appendingPathComponent(name).path)
                else { continue }
                let byteCount = (attributes[.size] as? NSNumber)?.intValue ?? 0
                let written = attributes[.modificationDate] as? Date ?? .distantPast
                body(Entry(digest: digest, byteCount: byteCount, written: written))
            }
        }
    }

    /// Deletes the temporary files of writes that never finished (a crash between write
    /// and rename) older than `date`; returns how many.
    @discardableResult
    public func removeTemporaries(writtenBefore date: Date) -> Int {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: tempDirectory.path) else { return 0 }
        var removed = 0
        for name in names {
            let file = tempDirectory.appendingPathComponent(name).path
            guard let attributes = try? manager.attributesOfItem(atPath: file),
                let written = attributes[.modificationDate] as? Date, written < date
            else { continue }
            if (try? manager.removeItem(atPath: file)) != nil { removed += 1 }
        }
        return removed
    }

    /// Marks blob `digest` as written now, so that a sweep counts its age from this
    /// upload (one that arrives again is wanted again). Does nothing if it is absent.
    public func refresh(_ digest: Digest) {
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path(of: digest).path)
    }

    /// Deletes blob `digest` if present (for example after `get` reported it corrupted).
    public func remove(_ digest: Digest) throws(BlobStoreError) {
        let file = path(of: digest)
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        do {
            try FileManager.default.removeItem(at: file)
        } catch {
            throw .io("removing blob \(digest.short): \(error)")
        }
    }
}
