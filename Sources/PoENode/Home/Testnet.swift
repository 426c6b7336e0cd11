public import PoEDuties
public import Foundation
public import PoECrypto
public import PoELedger

/// One line of `cluster.json`: where to reach a node of a testnet.
public struct ClusterMember: Codable, Sendable, Equatable {
    public var name: String
    public var home: String
    public var nodeKey: PublicKey
    public var api: String
    public var peer: String
}

/// `cluster.json`: what the harness and the CLI need to find a testnet.
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

/// Where one node of a testnet runs and listens.
public struct NodePlacement: Equatable, Sendable {
    public var name: String
    public var host: HostAddress
    /// "host:port" that genesis lists and the other validators dial.
    public var endpoint: String
    /// What the node binds its peer port to (config.json `peerListen`).
    public var peerListen: String
    /// What the node binds its API to (config.json `apiListen`).
    public var apiListen: String
    /// Where a client reaches the API (cluster.json `api`): on the node's machine itself
    /// when the API listens on loopback.
    public var api: String
}

/// Writes the homes of an N-node testnet that share one genesis: a node key and a bond
/// per validator, a funded submitter account, and `cluster.json`. The nodes run on one
/// machine (every address on 127.0.0.1), or each on the machine `hosts` names.
///
/// The validators' account keys, which hold their bonds and rewards, go to `accounts/`
/// beside the homes, never inside one: a node does not need its account key, so a home
/// can be copied to a machine without the money. Every folder is 0700 and every key
/// 0600.
public struct Testnet {
    public var nodeCount: Int
    public var chainID: String
    /// The machine of each node, as the other machines reach it (a DNS name or an IP
    /// literal), `nodeCount` of them; nil puts every node on 127.0.0.1.
    public var hosts: [String]?
    /// What every API binds to: loopback (the default), so that only the node's own
    /// machine can reach it, or a wildcard (0.0.0.0, ::) to serve other machines.
    public var apiListenHost = "127.0.0.1"
    /// Node i listens on base + the number of nodes before it on the same host: one
    /// port per machine when every host differs, consecutive ports on one machine.
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

    /// The account key of the validator `name`, under the testnet's folder.
    public static func accountKeyPath(folder: URL, name: String) -> String {
        folder.appendingPathComponent("accounts", isDirectory: true).appendingPathComponent("\(name).key").path
    }

    /// Where each node runs and listens; every host and port checked.
    public func placements() throws(TestnetError) -> [NodePlacement] {
        let texts = hosts ?? Array(repeating: "127.0.0.1", count: nodeCount)
        guard texts.count == nodeCount else {
            throw TestnetError("--hosts names \(texts.count) host\(texts.count == 1 ? "" : "s") for \(nodeCount) nodes")
        }
        var parsed: [HostAddress] = []
        for text in texts {
            let host = try HostAddress(parsing: text)
            guard !host.isWildcard else {
                throw TestnetError("host \"\(text)\" is a wildcard for listening, not an address other nodes can dial")
            }
            parsed.append(host)
        }
        let machines = Set(parsed.map { $0.description.lowercased() })
        if machines.count > 1, let loopback = parsed.first(where: \.isLoopback) {
            throw TestnetError(
                "host \"\(loopback)\" is loopback: nodes on the other machines cannot reach it; "
                    + "list an address each machine can dial")
        }
        let apiHost: HostAddress
        do { apiHost = try HostAddress(parsing: apiListenHost) } catch { throw TestnetError("--api-listen-host: \(error)") }
        if case .name = apiHost { throw TestnetError("--api-listen-host must be an IP address, got \"\(apiListenHost)\"") }
        guard apiHost.isLoopback || apiHost.isWildcard || machines.count == 1 else {
            throw TestnetError(
                "--api-listen-host \(apiListenHost) would be the same address on every machine; use 127.0.0.1 "
                    + "(the API stays on each node's machine) or 0.0.0.0 / :: (every address of the machine)")
        }
        var slots: [String: Int] = [:]
        var placements: [NodePlacement] = []
        for (index, host) in parsed.enumerated() {
            let slot = slots[host.description.lowercased(), default: 0]
            slots[host.description.lowercased()] = slot + 1
            let peerPort = peerPortBase + slot
            let apiPort = apiPortBase + slot
            guard host.endpoint(port: peerPort).utf8.count <= TransactionBody.endpointBytesMax else {
                throw TestnetError("host \"\(host)\": an endpoint is at most \(TransactionBody.endpointBytesMax) bytes")
            }
            placements.append(
                NodePlacement(
                    name: "node\(index)", host: host, endpoint: host.endpoint(port: peerPort),
                    peerListen: (host.isLoopback ? host : host.wildcard).endpoint(port: peerPort),
                    apiListen: apiHost.endpoint(port: apiPort),
                    api: (apiHost.isWildcard ? host : apiHost).endpoint(port: apiPort)))
        }
        let span = slots.values.max() ?? 1
        for (option, base) in [("--peer-port-base", peerPortBase), ("--api-port-base", apiPortBase)] {
            guard base >= 1 && base + span - 1 <= 65_535 else {
                throw TestnetError("\(option) \(base): ports \(base)...\(base + span - 1) are not all in 1...65535")
            }
        }
        guard peerPortBase + span <= apiPortBase || apiPortBase + span <= peerPortBase else {
            throw TestnetError(
                "the peer ports \(peerPortBase)...\(peerPortBase + span - 1) and the API ports "
                    + "\(apiPortBase)...\(apiPortBase + span - 1) overlap; move --peer-port-base or --api-port-base")
        }
        return placements
    }

    /// Creates `folder` (which must not exist) and everything in it.
    @discardableResult
    public func write(to folder: URL) throws -> ClusterFile {
        let placements = try placements()
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw TestnetError("\(folder.path) already exists; choose a new folder")
        }
        // The testnet's folder holds every key of the network: only its owner may enter it.
        try OwnerOnly.folder(folder.path)
        try OwnerOnly.folder(folder.appendingPathComponent("accounts", isDirectory: true).path)
        let clientKey = PrivateKey.generate()
        let clientKeyPath = folder.appendingPathComponent("client.key").path
        try KeyFile.write(clientKey, to: clientKeyPath)

        var validators: [GenesisValidator] = []
        var accounts = [GenesisAccount(key: clientKey.publicKey, balance: clientBalance)]
        var members: [ClusterMember] = []
        for (index, placement) in placements.enumerated() {
            let home = NodeHome(root: folder.appendingPathComponent(placement.name, isDirectory: true))
            try OwnerOnly.folder(home.root.path)
            let nodeKey = PrivateKey.generate()
            let accountKey = PrivateKey.generate()
            try KeyFile.write(nodeKey, to: home.nodeKeyPath)
            try KeyFile.write(accountKey, to: Testnet.accountKeyPath(folder: folder, name: placement.name))
            try home.write(
                config: NodeConfig(
                    name: placement.name, peerListen: placement.peerListen, apiListen: placement.apiListen,
                    consensus: consensus, peerBacklogFramesMax: peerBacklogFramesMax, fault: faults[index],
                    executionProfiles: executionProfiles[index]))
            validators.append(
                GenesisValidator(
                    account: accountKey.publicKey, nodeKey: nodeKey.publicKey, bond: bond, endpoint: placement.endpoint))
            accounts.append(GenesisAccount(key: accountKey.publicKey, balance: validatorBalance))
            members.append(
                ClusterMember(
                    name: placement.name, home: home.root.path, nodeKey: nodeKey.publicKey, api: placement.api,
                    peer: placement.endpoint))
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
