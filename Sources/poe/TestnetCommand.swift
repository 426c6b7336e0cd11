public import PoEDuties
import ArgumentParser
import Foundation
import PoENode

struct TestnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Write the homes of a local N-node testnet that share one genesis.")

    @Option(name: .shortAndLong, help: "The folder to create (must not exist).")
    var out: String

    @Option(name: .shortAndLong, help: "Number of validators.")
    var nodes = 4

    @Option(help: "Chain ID.")
    var chainID = "poe-local"

    @Option(help: "First peer port; node i listens on base + i.")
    var peerPortBase = 26600

    @Option(help: "First API port; node i serves on base + i.")
    var apiPortBase = 26700

    @Option(
        name: .customLong("fault"),
        help: "Make a node faulty on purpose: INDEX:MODE, MODE one of \(FaultMode.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable."
    )
    var faults: [String] = []

    func validate() throws {
        guard (1...64).contains(nodes) else { throw ValidationError("--nodes must be 1...64") }
        _ = try parsedFaults()
    }

    func parsedFaults() throws -> [Int: FaultMode] { try parseFaults(faults, nodes: nodes) }

    func run() throws {
        var testnet = Testnet(nodeCount: nodes, chainID: chainID)
        testnet.peerPortBase = peerPortBase
        testnet.apiPortBase = apiPortBase
        testnet.faults = try parsedFaults()
        let cluster = try testnet.write(to: URL(fileURLWithPath: out, isDirectory: true))
        print("wrote \(nodes) node homes, genesis.json, client.key and cluster.json in \(out)")
        for member in cluster.members {
            let fault = testnet.faults[Int(member.name.dropFirst(4)) ?? -1].map { " (\($0.rawValue))" } ?? ""
            print("  \(member.name)  key \(member.nodeKey.short)  peer \(member.peer)  api http://\(member.api)\(fault)")
        }
    }
}
