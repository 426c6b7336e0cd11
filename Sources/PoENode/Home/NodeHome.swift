public import Foundation
public import PoECrypto
public import PoELedger

public enum NodeHomeError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(String)
    case invalidConfig(String)
    case key(String)
    case genesis(String)
    case files(String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) does not exist (make the home with `poe testnet`)"
        case .invalidConfig(let why): return "config.json: \(why)"
        case .key(let why): return why
        case .genesis(let why): return why
        case .files(let why): return why
        }
    }
}

/// A node's home folder (mode 0700):
///
///     node.key       the node key: consensus votes, attestations, peer links (mode 0600)
///     genesis.json   the chain, shared by every node
///     config.json    this node's addresses and tuning
///     data/          ledger.sqlite, consensus.sqlite, blobs/, checkpoints/ (folders 0700,
///                    files 0600)
///
/// The account key, which holds the bond and the rewards, is not here: a node never
/// needs it, so it can stay off the machine (`poe testnet` writes it to `accounts/`).
public struct NodeHome: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }
    public init(path: String) { root = URL(fileURLWithPath: path, isDirectory: true) }

    public var nodeKeyPath: String { root.appendingPathComponent("node.key").path }
    public var genesisPath: String { root.appendingPathComponent("genesis.json").path }
    public var configPath: String { root.appendingPathComponent("config.json").path }
    public var dataFolder: URL { root.appendingPathComponent("data", isDirectory: true) }
    public var ledgerPath: String { dataFolder.appendingPathComponent("ledger.sqlite").path }
    public var consensusPath: String { dataFolder.appendingPathComponent("consensus.sqlite").path }
    public var blobsFolder: URL { dataFolder.appendingPathComponent("blobs", isDirectory: true) }
    /// State archives at recent checkpoints, served to peers and used to resume.
    public var checkpointsFolder: URL { dataFolder.appendingPathComponent("checkpoints", isDirectory: true) }

    public func nodeKey() throws(NodeHomeError) -> PrivateKey { try readKey(nodeKeyPath) }

    public func genesis() throws(NodeHomeError) -> Genesis {
        guard let data = FileManager.default.contents(atPath: genesisPath) else { throw .missing(genesisPath) }
        do { return try Genesis.decode(json: data) } catch { throw .genesis(error.description) }
    }

    public func config() throws(NodeHomeError) -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: configPath) else { throw .missing(configPath) }
        let config: NodeConfig
        do { config = try JSONDecoder().decode(NodeConfig.self, from: data) } catch {
            throw .invalidConfig(String(describing: error))
        }
        try NodeHome.refuseUnknownFields(data)
        _ = try parseHostPort(config.peerListen, field: "peerListen")
        _ = try parseHostPort(config.apiListen, field: "apiListen")
        try config.consensus.validate()
        if let frames = config.peerBacklogFramesMax, !(1...65_536).contains(frames) {
            throw .invalidConfig("peerBacklogFramesMax must be 1...65536")
        }
        if let slots = config.jobRunnerSlots, !(1...NodeConfig.jobRunnerSlotsMax).contains(slots) {
            throw .invalidConfig("jobRunnerSlots must be 1...\(NodeConfig.jobRunnerSlotsMax)")
        }
        if let profiles = config.executionProfiles, profiles.isEmpty || profiles.count > 16 {
            throw .invalidConfig("executionProfiles must list 1...16 profile names when present")
        }
        try config.blobs?.validate()
        return config
    }

    /// A misspelt field would otherwise be ignored in silence and its default used: each
    /// name config.json may hold is checked, at the top and in `consensus` and `blobs`.
    static func refuseUnknownFields(_ data: Data) throws(NodeHomeError) {
        guard let top = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidConfig("config.json must hold one JSON object")
        }
        func check(_ object: [String: Any], known: Set<String>, at path: String) throws(NodeHomeError) {
            for name in object.keys.sorted() where !known.contains(name) {
                throw .invalidConfig("unknown field \(path)\(name) (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        try check(top, known: NodeConfig.fieldNames, at: "")
        if let consensus = top["consensus"] as? [String: Any] {
            try check(consensus, known: ConsensusTuning.fieldNames, at: "consensus.")
        }
        if let blobs = top["blobs"] as? [String: Any] { try check(blobs, known: BlobLimits.fieldNames, at: "blobs.") }
    }

    public func write(config: NodeConfig) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: URL(fileURLWithPath: configPath), options: .atomic)
    }

    /// Makes the home, `data/`, `blobs/` and `checkpoints/` folders only the node's user
    /// may enter (0700) and the SQLite files, with their `-wal` and `-shm`, only it may
    /// read (0600), creating what is missing. The database files are created here, before
    /// SQLite opens them, because SQLite makes a new database with 0644 (less the umask)
    /// and gives its `-wal` and `-shm` the database's mode. Returns a line for each folder
    /// or file that had group or other access and was tightened.
    public func prepareDataFiles() throws(NodeHomeError) -> [String] {
        var tightened: [String] = []
        func note(_ path: String, _ previous: UInt32?) {
            if let previous { tightened.append("\(path): mode \(String(previous, radix: 8)) tightened to owner only") }
        }
        do throws(OwnerOnlyError) {
            for folder in [root, dataFolder, blobsFolder, checkpointsFolder] {
                note(folder.path, try OwnerOnly.folder(folder.path))
            }
            for database in [ledgerPath, consensusPath] {
                note(database, try OwnerOnly.file(database, create: true))
                for suffix in ["-wal", "-shm", "-journal"] {
                    note(database + suffix, try OwnerOnly.file(database + suffix, create: false))
                }
            }
        } catch {
            throw .files(error.description)
        }
        return tightened
    }

    private func readKey(_ path: String) throws(NodeHomeError) -> PrivateKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path) }
        do { return try KeyFile.read(from: path) } catch { throw .key(error.description) }
    }
}
