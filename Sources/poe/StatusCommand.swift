public import PoENodeCore
import ArgumentParser
import Foundation
import PoENode

/// `poe status`: the node's view of consensus and the ledger.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Print a node's status (height, view, primary, peers, ...).")

    @OptionGroup var options: NodeClientOptions

    @Flag(name: .long, help: "Print the status as JSON.")
    var json = false

    func run() async throws {
        let client = try options.client()
        let status = try await calling { () async throws(NodeClientError) in try await client.status() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        let rows: [(String, String)] = [
            ("name", status.name), ("node key", status.nodeKey), ("replica", "\(status.replicaID)"),
            ("height", "\(status.height)"), ("view", "\(status.view)"),
            ("primary", "\(status.primary)\(status.isPrimary ? " (this node)" : "")"),
            ("view changing", "\(status.viewChanging)"), ("last executed", "\(status.lastExecuted)"),
            ("stable checkpoint", "\(status.stableCheckpoint)"), ("state root", status.stateRoot),
            ("peers connected", "\(status.peersConnected)"), ("catching up", "\(status.catchingUp)"),
            ("inbox dropped", "\(status.inboxDropped)"), ("malformed peer msgs", "\(status.malformedPeerMessages)"),
            ("invalid peer msgs", "\(status.invalidPeerMessages)"), ("state transfers", "\(status.stateTransfers)"),
            ("peer frames dropped", "\(status.peerFramesDropped)"), ("pending requests", "\(status.pendingRequests)"),
            ("blob store", "\(status.blobStoreBytes) bytes, \(status.blobUploadsPending) uploads no job names yet"),
            ("blobs deleted", "\(status.blobsDeleted) (uploads refused: \(status.blobUploadsRefused))"),
        ]
        for (name, value) in rows { print(name.padding(toLength: 20, withPad: " ", startingAt: 0) + value) }
    }
}
