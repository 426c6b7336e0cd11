import Foundation
import PoECrypto
import PoELedger
import PoENode
import Testing

/// What `poe node` keeps on disk is its user's alone, and it refuses a key others can read.
@Suite(.serialized) struct HomeFilesTests {
    @Test func poeNodeRefusesANodeKeyOthersCanRead() async throws {
        let folder = scratchFolder("key-0604")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cluster = try Testnet(nodeCount: 1, chainID: "key-0604").write(to: folder)
        let home = NodeHome(path: cluster.members[0].home)
        try FileManager.default.setAttributes([.posixPermissions: 0o604], ofItemAtPath: home.nodeKeyPath)

        let process = Process()
        process.executableURL = try poeBinary()
        process.arguments = ["node", "--home", home.root.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let exited = try await eventually(seconds: 20) { !process.isRunning }
        if !exited { process.terminate() }
        #expect(exited, "poe node kept running with a 0604 key")
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.contains(home.nodeKeyPath) && text.contains("mode 0604") && text.contains("chmod 600"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: home.dataFolder.path), "refused before anything was written")
    }

    /// A home made open to others (as an older version or `cp -r` would leave it) is
    /// tightened at start; after blobs, jobs, transfers and a checkpoint, every folder of
    /// every home is 0700 and every file of its data 0600, the SQLite -wal and -shm too.
    @Test func aRunningNodeKeepsItsFilesToItself() async throws {
        let base = try portBase()
        var testnet = Testnet(nodeCount: 4, chainID: "e2e-modes")
        testnet.peerPortBase = base
        testnet.apiPortBase = base + 50
        testnet.consensus.tickMilliseconds = 20
        testnet.consensus.checkpointInterval = 4
        testnet.consensus.windowSize = 16
        let processes = try ProcessCluster(folder: scratchFolder("e2e-modes"), testnet: testnet, executable: try poeBinary())
        defer { try? FileManager.default.removeItem(at: processes.folder) }
        let opened = NodeHome(path: processes.cluster.members[1].home)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: opened.root.path)
        try FileManager.default.createDirectory(
            at: opened.dataFolder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])

        try processes.startAll()
        let clients = try processes.cluster.members.map { try NodeClient(baseURL: "http://\($0.api)", timeoutSeconds: 5) }
        try #require(try await eventually(seconds: 60) { await allLinked(clients) }, "the nodes never linked")
        let client = try KeyFile.read(from: processes.cluster.clientKey)
        _ = try await clients[0].uploadBlob(exampleJob("wordcount-input.txt"), signedBy: client)
        for nonce in UInt64(1)...6 {
            let id = try await clients[0].submit(
                SignedTransaction.make(signer: client, nonce: nonce, body: .transfer(to: client.publicKey, amount: 1)))
            try #require(try await eventually(seconds: 30) { (try? await clients[0].transactionStatus(id))?.status == "committed" })
        }
        #expect(try await eventually(seconds: 30) { ((try? await clients[0].status())?.stableCheckpoint ?? 0) >= 4 })

        // Checked while the nodes run: SQLite removes its -wal and -shm when it closes.
        for member in processes.cluster.members {
            let home = NodeHome(path: member.home)
            #expect(try permissions(home.root.path) == 0o700, "\(member.name) home")
            let open = try openToOthers(under: home.dataFolder)
            #expect(open.isEmpty, "\(member.name): open to group or others: \(open)")
            let names = try FileManager.default.contentsOfDirectory(atPath: home.dataFolder.path)
            for database in ["ledger.sqlite", "consensus.sqlite"] {
                #expect(names.contains(database + "-wal") && names.contains(database + "-shm"), "\(names)")
            }
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: home.checkpointsFolder.path)).isEmpty)
        }
        let blobs = NodeHome(path: processes.cluster.members[0].home).blobsFolder
        #expect(try FileManager.default.subpathsOfDirectory(atPath: blobs.path).count >= 3, "tmp/, a prefix and a blob")
        await processes.stopAll()

        let log = try String(contentsOfFile: processes.logPath(1), encoding: .utf8)
        #expect(log.contains("\(opened.dataFolder.path): mode 755 tightened to owner only"), "the node says what it fixed")
    }

    func permissions(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    /// Every path under `folder` whose folder is not 0700 or whose file is not 0600.
    func openToOthers(under folder: URL) throws -> [String] {
        var open: [String] = []
        if try permissions(folder.path) != 0o700 { open.append(folder.path) }
        for relative in try FileManager.default.subpathsOfDirectory(atPath: folder.path) {
            let path = folder.appendingPathComponent(relative).path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            // A blob's temporary file may be renamed away between the listing and here.
            guard let mode = FileManager.default.permissionsIfPresent(atPath: path) else { continue }
            if mode != (isFolder.boolValue ? 0o700 : 0o600) { open.append("\(relative) \(String(mode, radix: 8))") }
        }
        return open
    }
}

extension FileManager {
    fileprivate func permissionsIfPresent(atPath path: String) -> Int? {
        (try? attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }
}
