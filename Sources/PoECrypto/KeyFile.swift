#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case exists(path: String)
    case unreadable(path: String, errno: Int32)
    case tooOpen(path: String, mode: UInt32)
    case malformed(path: String, reason: String)
    case writeFailed(path: String, step: String, errno: Int32)

    public var description: String {
        switch self {
        case .exists(let path):
            return "\(path) already exists; refusing to overwrite a key"
        case .unreadable(let path, let code):
            return "cannot read \(path): \(String(cString: strerror(code)))"
        case .tooOpen(let path, let mode):
            let octal = String(mode, radix: 8)
            return "\(path) is open to group or others (mode \(String(repeating: "0", count: 4 - octal.count) + octal), "
                + "want 0600); run chmod 600 \(path)"
        case .malformed(let path, let reason):
            return "\(path) is not a key file: \(reason)"
        case .writeFailed(let path, let step, let code):
            return "writing \(path) failed at \(step): \(String(cString: strerror(code)))"
        }
    }
}

/// A secret key on disk: one line, `poe-secp256k1:` and the 64 hex digits.
///
/// Written atomically (a temporary file with mode 0600, fsync, rename, fsync of the
/// folder), so a crash leaves either no key or the whole key; read only when no one
/// but the owner can read it, as ssh does.
public enum KeyFile {
    static let header = "poe-secp256k1:"

    public static func write(_ key: PrivateKey, to path: String) throws(KeyFileError) {
        var info = stat()
        if lstat(path, &info) == 0 { throw .exists(path: path) }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .writeFailed(path: temporary, step: "open", errno: errno) }
        let text = Array((header + Hex.encode(key.secretBytes) + "\n").utf8)
        let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw .writeFailed(path: temporary, step: "write", errno: code)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .writeFailed(path: path, step: "rename", errno: code)
        }
        try syncFolder(of: path)
    }

    public static func read(from path: String) throws(KeyFileError) -> PrivateKey {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, errno: errno) }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: mode) }
        // The file is one short line; refuse anything larger before reading it.
        guard info.st_size <= 256 else { throw .malformed(path: path, reason: "larger than a key file") }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw .unreadable(path: path, errno: errno) }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard line.hasPrefix(header) else { throw .malformed(path: path, reason: "missing \(header) header") }
        guard let secret = Hex.decode(line.dropFirst(header.count)), secret.count == PrivateKey.byteCount else {
            throw .malformed(path: path, reason: "expected 64 hex digits")
        }
        do {
            return try PrivateKey(secretBytes: secret)
        } catch {
            throw .malformed(path: path, reason: error.description)
        }
    }

    private static func syncFolder(of path: String) throws(KeyFileError) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw .writeFailed(path: folder, step: "open folder", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .writeFailed(path: folder, step: "fsync folder", errno: errno) }
    }
}
