@_spi(WASIPlatform) import WASI
import Synchronization

/// The job's stdin: the input blob, read front to back. Seeking is refused, as on a pipe,
/// so a module reads its input the same way everywhere.
final class InputStream: WASIFile {
    private let bytes: [UInt8]
    private let offset = Mutex<Int>(0)
    private let meter: ByteMeter

    init(_ bytes: [UInt8], meter: ByteMeter) {
        self.bytes = bytes
        self.meter = meter
    }

    var isBorrowed: Bool { true }

    func read(into buffers: GuestBuffers) throws -> WASIAbi.Size {
        let bytes = self.bytes
        return try offset.withLock { offset in
            var total = 0
            for index in 0..<buffers.count {
                let copied = try buffers.withHostBuffer(at: index) { buffer in
                    let count = min(buffer.count, bytes.count - offset)
                    guard count > 0, let base = buffer.baseAddress else { return 0 }
                    bytes.withUnsafeBytes { source in
                        base.copyMemory(from: source.baseAddress! + offset, byteCount: count)
                    }
                    offset += count
                    return count
                }
                total += copied
                if offset == bytes.count { break }
            }
            meter.add(total)
            return WASIAbi.Size(total)
        }
    }

    func write(vectored buffers: GuestBuffers) throws -> WASIAbi.Size { throw WASIAbi.Errno.EBADF }
    func fdStat() throws -> WASIAbi.FdStat { stdioFdStat(rights: .FD_READ) }
}

/// Thrown out of the guest when stdout goes over its bound: it ends the run.
struct OutputLimitExceeded: Error {}

/// The job's stdout or stderr: bytes kept in memory up to a bound. Past the bound, stdout
/// stops the run (`outputTooLarge`); stderr is cut and flagged, since logs are advisory.
final class CaptureStream: WASIFile {
    enum Overflow { case stopRun, truncate }

    private struct State {
        var bytes: [UInt8] = []
        var truncated = false
    }

    private let bytesMax: Int
    private let overflow: Overflow
    private let state = Mutex(State())
    private let meter: ByteMeter

    init(bytesMax: Int, overflow: Overflow, meter: ByteMeter) {
        self.bytesMax = bytesMax
        self.overflow = overflow
        self.meter = meter
    }

    var isBorrowed: Bool { true }
    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var truncated: Bool { state.withLock { $0.truncated } }

    func write(vectored buffers: GuestBuffers) throws -> WASIAbi.Size {
        let bytesMax = self.bytesMax
        let overflow = self.overflow
        return try state.withLock { state in
            var total = 0
            for index in 0..<buffers.count {
                total += try buffers.withHostBuffer(at: index) { buffer in
                    let room = bytesMax - state.bytes.count
                    if buffer.count > room {
                        switch overflow {
                        case .stopRun: throw OutputLimitExceeded()
                        case .truncate: state.truncated = true
                        }
                    }
                    meter.add(buffer.count)
                    let kept = min(room, buffer.count)
                    if kept > 0, let base = buffer.baseAddress {
                        // As typed bytes, so the append is one copy: appending a raw buffer
                        // goes byte by byte (measured ~5 ns a byte, 20 times a memcpy).
                        state.bytes.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: kept))
                    }
                    // Report every byte as written: a module must not loop retrying a full log.
                    return buffer.count
                }
            }
            return WASIAbi.Size(truncatingIfNeeded: total)
        }
    }

    func read(into buffers: GuestBuffers) throws -> WASIAbi.Size { throw WASIAbi.Errno.EBADF }
    func fdStat() throws -> WASIAbi.FdStat { stdioFdStat(rights: .FD_WRITE) }
}

/// Stream behaviour shared by the job's three stdio entries: a character device with
/// fixed attributes, no seeking, no timestamps — nothing that varies by host.
extension WASIFile {
    func stdioFdStat(rights: WASIAbi.Rights) -> WASIAbi.FdStat {
        WASIAbi.FdStat(fsFileType: .CHARACTER_DEVICE, fsFlags: [], fsRightsBase: rights, fsRightsInheriting: [])
    }

    func attributes() throws -> WASIAbi.Filestat {
        WASIAbi.Filestat(dev: 0, ino: 0, filetype: .CHARACTER_DEVICE, nlink: 1, size: 0, atim: 0, mtim: 0, ctim: 0)
    }

    func fileType() throws -> WASIAbi.FileType { .CHARACTER_DEVICE }
    func status() throws -> WASIAbi.Fdflags { [] }
    func setTimes(atim: WASIAbi.Timestamp, mtim: WASIAbi.Timestamp, fstFlags: WASIAbi.FstFlags) throws {
        throw WASIAbi.Errno.ENOTSUP
    }
    func advise(offset: WASIAbi.FileSize, length: WASIAbi.FileSize, advice: WASIAbi.Advice) throws {}
    func close() throws {}
    func setFdStatFlags(_ flags: WASIAbi.Fdflags) throws { throw WASIAbi.Errno.ENOTSUP }
    func setFilestatSize(_ size: WASIAbi.FileSize) throws { throw WASIAbi.Errno.EINVAL }
    func sync() throws {}
    func datasync() throws {}
    func tell() throws -> WASIAbi.FileSize { throw WASIAbi.Errno.ESPIPE }
    func seek(offset: WASIAbi.FileDelta, whence: WASIAbi.Whence) throws -> WASIAbi.FileSize {
        throw WASIAbi.Errno.ESPIPE
    }
    func pwrite(vectored buffers: GuestBuffers, offset: WASIAbi.FileSize) throws -> WASIAbi.Size {
        throw WASIAbi.Errno.ESPIPE
    }
    func pread(into buffers: GuestBuffers, offset: WASIAbi.FileSize) throws -> WASIAbi.Size {
        throw WASIAbi.Errno.ESPIPE
    }
}
