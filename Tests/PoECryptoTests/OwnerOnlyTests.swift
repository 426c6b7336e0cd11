import Foundation
import PoECrypto
import Testing

/// The node's data is its user's alone: folders 0700 and files 0600 whatever the umask,
/// and an existing one open to others is tightened and reported.
@Suite struct OwnerOnlyTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-owner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func permissions(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func aNewFolderAndItsMissingParentsAre0700() throws {
        let path = folder + "/data/blobs"
        #expect(try OwnerOnly.folder(path) == nil, "nothing to tighten in a new folder")
        #expect(try permissions(folder + "/data") == 0o700)
        #expect(try permissions(path) == 0o700)
    }

    @Test func anOpenFolderIsTightenedAndReported() throws {
        let path = folder + "/data"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        #expect(try OwnerOnly.folder(path) == 0o755)
        #expect(try permissions(path) == 0o700)
        #expect(try OwnerOnly.folder(path) == nil, "already owner only")
    }

    @Test func aFileWhereAFolderShouldBeIsRefused() throws {
        let path = folder + "/data"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(throws: OwnerOnlyError.notAFolder(path: path)) { try OwnerOnly.folder(path) }
    }

    @Test func filesAreCreatedOrTightenedTo0600() throws {
        let created = folder + "/ledger.sqlite"
        #expect(try OwnerOnly.file(created, create: true) == nil)
        #expect(try permissions(created) == 0o600)
        let absent = folder + "/ledger.sqlite-wal"
        #expect(try OwnerOnly.file(absent, create: false) == nil)
        #expect(!FileManager.default.fileExists(atPath: absent), "only created when asked")
        let open = folder + "/consensus.sqlite"
        #expect(FileManager.default.createFile(atPath: open, contents: Data([1]), attributes: [.posixPermissions: 0o644]))
        #expect(try OwnerOnly.file(open, create: true) == 0o644)
        #expect(try permissions(open) == 0o600)
        #expect(try Data(contentsOf: URL(fileURLWithPath: open)) == Data([1]), "tightening keeps the contents")
    }

    @Test func writeNewMakesA0600FileAndNeverReplacesOne() throws {
        let path = folder + "/blob"
        try OwnerOnly.writeNew([1, 2, 3], to: path)
        #expect(try permissions(path) == 0o600)
        #expect(throws: OwnerOnlyError.self) { try OwnerOnly.writeNew([4], to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([1, 2, 3]))
    }
}
