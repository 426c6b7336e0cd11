public import PoEDuties
public import Foundation
public import PoECrypto
public import PoELedger

/// One line of `cluster.json`: where to reach a node of a local testnet.
public struct ClusterMember: Codable, Sendable, Equatable {
    public var name: String
    public var home: String
    public var nodeKey: PublicKey
    public var api: String
    public var peer: String
}

/// `cluster.json`: what the harness and the CLI need to find a local testnet.
public struct ClusterFile: Codable, Sendable, Equatable {
    public var chainID: String
    public var members: [ClusterMember]
    /// The funded submitter account's key file.
    public var clientKey: String

    public static func load(path: String) throws -> ClusterFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw NodeHomeError.missing(path) }
        return try JSONDecoder().decode(ClusterFile.self, from: data)
    }
}

/// Writes the homes of an N-node local testnet that share one genesis: a node key, an
/// account key and a bond per validator, a funded submitter account, and `cluster.json`.
public struct Testnet {
    public var nodeCount: Int
    public var chainID: String
    public var host = "127.0.0.1"
    public var peerPortBase = 26600
    public var apiPortBase = 26700
    public var bond: UInt64 = 100_000
    public var validatorBalance: UInt64 = 1_000_000
    public var clientBalance: UInt64 = 1_000_000_000
    public var parameters = LedgerParameters(
        minimumStake: 10_000, wrongResultSlashBasisPoints: 1_000, equivocationSlashBasisPoints: 5_000,
        jobDeadlineHeightsMax: 1_000, epochLengthHeights: 10_000, unbondingDelayHeights: 100)
    public var consensus = ConsensusTuning()
    public var faults: [Int: FaultMode] = [:]
    /// Per node, the execution profiles it runs (config.json's `executionProfiles`).
    public var executionProfiles: [Int: [String]] = [:]
    /// Written into every node's config.json when set.
    public var peerBacklogFramesMax: Int?

    public init(nodeCount: Int, chainID: String) {
        precondition(nodeCount >= 1 && nodeCount <= 64, "a testnet has 1 to 64 nodes")
        self.nodeCount = nodeCount
        self.chainID = chainID
    }

    /// Creates `folder` (which must not exist) and everything in it.
    @discardableResult
    public func write(to folder: URL) throws -> ClusterFile {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: folder.path) else {
            throw NodeHomeError.invalidConfig("\(folder.path) already exists; choose a new folder")
        }
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        let clientKey = PrivateKey.generate()
        let clientKeyPath = folder.appendingPathComponent("client.key").path
        try KeyFile.write(clientKey, to: clientKeyPath)

        var validators: [GenesisValidator] = []
        var accounts = [GenesisAccount(key: clientKey.publicKey, balance: clientBalance)]
        var members: [ClusterMember] = []
        for index in 0..<nodeCount {
            let home = NodeHome(root: folder.appendingPathComponent("node\(index)", isDirectory: true))
            try fileManager.createDirectory(at: home.root, withIntermediateDirectories: true)
            let nodeKey = PrivateKey.generate()
            let accountKey = PrivateKey.generate()
            try KeyFile.write(nodeKey, to: home.nodeKeyPath)
            try KeyFile.write(accountKey, to: home.accountKeyPath)
            let peer = "\(host):\(peerPortBase + index)"
            let api = "\(host):\(apiPortBase + index)"
            try home.write(
                config: NodeConfig(
                    name: "node\(index)", peerListen: peer, apiListen: api, consensus: consensus,
                    peerBacklogFramesMax: peerBacklogFramesMax, fault: faults[index],
                    executionProfiles: executionProfiles[index]))
            validators.append(GenesisValidator(account: accountKey.publicKey, nodeKey: nodeKey.publicKey, bond: bond, endpoint: peer))
            accounts.append(GenesisAccount(key: accountKey.publicKey, balance: validatorBalance))
            members.append(ClusterMember(name: "node\(index)", home: home.root.path, nodeKey: nodeKey.publicKey, api: api, peer: peer))
        }
        let genesis = Genesis(chainID: chainID, accounts: accounts, validators: validators, parameters: parameters)
        try genesis.validate()
        let genesisJSON = try genesis.encodedJSON()
        try genesisJSON.write(to: folder.appendingPathComponent("genesis.json"), options: .atomic)
        for member in members {
            try genesisJSON.write(to: NodeHome(path: member.home).root.appendingPathComponent("genesis.json"), options: .atomic)
        }
        let cluster = ClusterFile(chainID: chainID, members: members, clientKey: clientKeyPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(cluster).write(to: folder.appendingPathComponent("cluster.json"), options: .atomic)
        return cluster
    }
}
