#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum OwnerOnlyError: Error, Equatable, Sendable, CustomStringConvertible {
    case createFailed(path: String, errno: Int32)
    case notAFolder(path: String)
    case chmodFailed(path: String, mode: UInt32, errno: Int32)
    case writeFailed(path: String, step: String, errno: Int32)

    public var description: String {
        switch self {
        case .createFailed(let path, let code):
            return "cannot create \(path): \(String(cString: strerror(code)))"
        case .notAFolder(let path):
            return "\(path) exists and is not a folder"
        case .chmodFailed(let path, let mode, let code):
            return "cannot restrict \(path) to its owner (chmod \(String(mode, radix: 8))): \(String(cString: strerror(code)))"
                + "; run the node as the user that owns it"
        case .writeFailed(let path, let step, let code):
            return "writing \(path) failed at \(step): \(String(cString: strerror(code)))"
        }
    }
}

/// Folders and files that only their owner may open: what a node keeps on disk (the
/// ledger, the vote log, blobs, checkpoint archives) besides its key files.
///
/// Modes are passed explicitly instead of left to the process's umask, so that every
/// program that embeds a node (the tests, the in-process cluster, the harness) gets them,
/// whatever umask it runs with. A folder or file that exists with group or other access
/// (a home made by an older version, or copied with `cp -r`) is tightened, and the caller
/// is told, rather than refused: it is the node's own data, not a secret the operator
/// handed over (key files are refused instead, see `KeyFile.read`).
public enum OwnerOnly {
    public static let folderMode: UInt32 = 0o700
    public static let fileMode: UInt32 = 0o600

    /// Makes `path` a folder only its owner may enter: creates it (and any missing
    /// parent) with mode 0700, or removes group and other access from an existing one.
    /// Returns the mode it had when it had to be tightened.
    @discardableResult
    public static func folder(_ path: String) throws(OwnerOnlyError) -> UInt32? {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw .notAFolder(path: path) }
            return try tighten(path, mode: UInt32(info.st_mode) & 0o7777, to: folderMode)
        }
        guard errno == ENOENT else { throw .createFailed(path: path, errno: errno) }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try folder(String(path[..<slash]))
        }
        // mkdir's mode is masked by the umask, which can only remove bits: 0700 or less.
        guard mkdir(path, mode_t(folderMode)) == 0 || errno == EEXIST else {
            throw .createFailed(path: path, errno: errno)
        }
        return nil
    }

    /// Makes `path` a file only its owner may read: with `create`, an empty file with
    /// mode 0600 when it is absent (SQLite gives the `-wal` and `-shm` files it makes
    /// the mode of the database file); an existing one loses group and other access.
    /// Returns the mode it had when it had to be tightened.
    @discardableResult
    public static func file(_ path: String, create: Bool) throws(OwnerOnlyError) -> UInt32? {
        var info = stat()
        if stat(path, &info) == 0 {
            return try tighten(path, mode: UInt32(info.st_mode) & 0o7777, to: fileMode)
        }
        guard errno == ENOENT else { throw .createFailed(path: path, errno: errno) }
        guard create else { return nil }
        let descriptor = open(path, O_WRONLY | O_CREAT, mode_t(fileMode))
        guard descriptor >= 0 else { throw .createFailed(path: path, errno: errno) }
        close(descriptor)
        return nil
    }

    /// Writes `bytes` to a new file (it must not exist) with mode 0600.
    public static func writeNew(_ bytes: [UInt8], to path: String) throws(OwnerOnlyError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode_t(fileMode))
        guard descriptor >= 0 else { throw .writeFailed(path: path, step: "open", errno: errno) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw .writeFailed(path: path, step: "write", errno: errno) }
            written += count
        }
    }

    private static func tighten(_ path: String, mode: UInt32, to wanted: UInt32) throws(OwnerOnlyError) -> UInt32? {
        guard mode & 0o077 != 0 else { return nil }
        guard chmod(path, mode_t(wanted)) == 0 else { throw .chmodFailed(path: path, mode: wanted, errno: errno) }
        return mode
    }
}
