import Foundation
import PoENodeCore
import Testing

@testable import PoENode

/// Checkpoint archives on disk, written as a stream of pieces: whole or absent, never torn,
/// and a failed write leaves what was there before.
@Suite struct CheckpointFilesTests {
    struct DiskFull: Error {}

    @Test func anArchiveWrittenInPiecesReadsBackWholeAndOwnerOnly() throws {
        let folder = scratch("checkpoints")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try CheckpointFiles(folder: folder)
        try files.write(sequence: 32) { append in
            for piece in 0..<50 { try append([UInt8](repeating: UInt8(piece), count: 1_000 + piece)) }
        }
        let expected = (0..<50).flatMap { [UInt8](repeating: UInt8($0), count: 1_000 + $0) }
        #expect(files.read(sequence: 32) == expected)
        #expect(files.sequences() == [32])
        #expect(files.byteCount(sequence: 32) == expected.count)
        #expect(files.byteCount(sequence: 16) == nil)
        #expect(try permissions(folder.appendingPathComponent("32.state").path) == 0o600)
    }

    @Test func aWriteThatFailsHalfWayLeavesTheEarlierArchiveAndNoTemporaryFile() throws {
        let folder = scratch("checkpoints-failed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try CheckpointFiles(folder: folder)
        try files.write([1, 2, 3], sequence: 16)
        #expect(throws: DiskFull.self) {
            try files.write(sequence: 16) { append in
                try append([9, 9, 9, 9])
                throw DiskFull()
            }
        }
        #expect(throws: DiskFull.self) {
            try files.write(sequence: 48) { append in
                try append([7])
                throw DiskFull()
            }
        }
        #expect(files.read(sequence: 16) == [1, 2, 3], "the archive already there is untouched")
        #expect(files.read(sequence: 48) == nil)
        #expect(files.sequences() == [16])
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names == ["16.state"], "no temporary file is left: \(names)")
    }
}
