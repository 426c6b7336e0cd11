public import PoEDuties
import ArgumentParser
import Foundation
import PoENode

struct TestnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Write the homes of an N-node testnet that share one genesis, on one machine or on several.",
        discussion: """
            Without --hosts every node runs on this machine, on 127.0.0.1. With --hosts each node \
            runs on the machine named: genesis lists HOST:PORT as its peer endpoint, it binds its \
            peer port on every address of that machine, and its API on --api-listen-host. Copy \
            nodeN/ to its machine; keep accounts/ (the validators' account keys) and client.key \
            off the node machines. See docs/DEPLOY.md.
            """)

    @Option(name: .shortAndLong, help: "The folder to create (must not exist).")
    var out: String

    @Option(name: .shortAndLong, help: "Number of validators (default 4, or the number of --hosts).")
    var nodes: Int?

    @Option(
        help: ArgumentHelp(
            "The machine of each node, comma-separated: host names or IP addresses the other machines can dial.",
            valueName: "host,host,..."))
    var hosts: String?

    @Option(help: "Where each node's API listens: 127.0.0.1 (only its machine) or 0.0.0.0 / :: (every address).")
    var apiListenHost = "127.0.0.1"

    @Option(help: "Chain ID.")
    var chainID = "poe-local"

    @Option(help: "Peer port; a second node on the same host uses base + 1, and so on.")
    var peerPortBase = 26600

    @Option(help: "API port; a second node on the same host uses base + 1, and so on.")
    var apiPortBase = 26700

    @Option(
        name: .customLong("fault"),
        help: "Make a node faulty on purpose: INDEX:MODE, MODE one of \(FaultMode.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable."
    )
    var faults: [String] = []

    func validate() throws {
        let count = nodeCount
        guard (1...64).contains(count) else { throw ValidationError("--nodes must be 1...64") }
        if let listed = hostList, let nodes, nodes != listed.count {
            throw ValidationError("--nodes \(nodes) but --hosts names \(listed.count) hosts; give one host per node")
        }
        _ = try parsedFaults()
        let testnet = try testnet()
        do { _ = try testnet.placements() } catch { throw ValidationError(error.description) }
    }

    var hostList: [String]? {
        hosts.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    var nodeCount: Int { nodes ?? hostList?.count ?? 4 }

    func parsedFaults() throws -> [Int: FaultMode] { try parseFaults(faults, nodes: nodeCount) }

    func testnet() throws -> Testnet {
        var testnet = Testnet(nodeCount: nodeCount, chainID: chainID)
        testnet.hosts = hostList
        testnet.apiListenHost = apiListenHost
        testnet.peerPortBase = peerPortBase
        testnet.apiPortBase = apiPortBase
        testnet.faults = try parsedFaults()
        return testnet
    }

    func run() throws {
        let testnet = try testnet()
        let folder = URL(fileURLWithPath: out, isDirectory: true)
        let cluster: ClusterFile
        do { cluster = try testnet.write(to: folder) } catch { throw CommandFailure("\(error)") }
        print("wrote \(nodeCount) node homes, genesis.json, client.key, accounts/ and cluster.json in \(out)")
        for (index, member) in cluster.members.enumerated() {
            let fault = testnet.faults[index].map { " (\($0.rawValue))" } ?? ""
            print("  \(member.name)  key \(member.nodeKey.short)  peer \(member.peer)  api http://\(member.api)\(fault)")
        }
        print("the validators' account keys (bonds, rewards) are in \(out)/accounts/: a node never needs them")
        if hostList != nil {
            print("copy each nodeN/ to its host (keep it mode 0700), open the peer port to the other validators,")
            print("and start it there with: poe node --home <path of nodeN>")
        }
    }
}
