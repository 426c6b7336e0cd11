import Foundation
import PoECrypto
import PoENode
import Testing

func permissions(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
}

func scratch(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("poe-\(name)-\(UUID().uuidString)")
}

/// The node's data folders and SQLite files: created owner only, tightened when found
/// open to others.
@Suite struct NodeHomeFilesTests {
    @Test func dataFoldersAre0700AndDatabases0600() throws {
        let folder = scratch("home")
        defer { try? FileManager.default.removeItem(at: folder) }
        let home = NodeHome(root: folder)
        #expect(try home.prepareDataFiles().isEmpty, "nothing to tighten in a new home")
        for path in [folder.path, home.dataFolder.path, home.blobsFolder.path, home.checkpointsFolder.path] {
            #expect(try permissions(path) == 0o700, "\(path)")
        }
        #expect(try permissions(home.ledgerPath) == 0o600)
        #expect(try permissions(home.consensusPath) == 0o600)
    }

    @Test func aHomeOpenToOthersIsTightenedAndReported() throws {
        let folder = scratch("home-open")
        defer { try? FileManager.default.removeItem(at: folder) }
        let home = NodeHome(root: folder)
        let manager = FileManager.default
        try manager.createDirectory(at: home.blobsFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.dataFolder.path)
        #expect(manager.createFile(atPath: home.ledgerPath, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(manager.createFile(atPath: home.ledgerPath + "-wal", contents: nil, attributes: [.posixPermissions: 0o644]))
        let report = try home.prepareDataFiles()
        #expect(report.count == 5, "\(report)")
        #expect(report.contains("\(home.ledgerPath)-wal: mode 644 tightened to owner only"), "\(report)")
        #expect(try permissions(folder.path) == 0o700)
        #expect(try permissions(home.dataFolder.path) == 0o700)
        #expect(try permissions(home.ledgerPath + "-wal") == 0o600)
    }

    @Test func aNodeKeyOthersCanReadIsRefusedWithTheFix() throws {
        let folder = scratch("home-key")
        defer { try? FileManager.default.removeItem(at: folder) }
        try OwnerOnly.folder(folder.path)
        let home = NodeHome(root: folder)
        try KeyFile.write(PrivateKey.generate(), to: home.nodeKeyPath)
        try FileManager.default.setAttributes([.posixPermissions: 0o604], ofItemAtPath: home.nodeKeyPath)
        #expect {
            try home.nodeKey()
        } throws: { error in
            let text = (error as? NodeHomeError)?.description ?? ""
            return text.contains(home.nodeKeyPath) && text.contains("chmod 600")
        }
    }
}
