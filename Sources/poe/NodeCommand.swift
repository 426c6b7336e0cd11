import ArgumentParser
import Foundation
import Logging
import PoENode
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a validator from its home folder until SIGTERM or SIGINT.")

    @Option(name: .long, help: "The node's home (made by `poe testnet`).")
    var home: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    func run() async throws {
        // The library sets the mode of every file it knows to hold the node's data (0700
        // folders, 0600 files); the umask covers what it does not know of, such as files
        // SQLite or Foundation create on their own, so that nothing the node writes is
        // open to other users of the machine.
        umask(0o077)
        var logger = Logger(label: "poe.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let node: Node
        do {
            node = try await Node.start(home: NodeHome(path: home), logger: logger)
        } catch {
            throw CommandFailure("cannot start the node: \(error)")
        }
        let group = ServiceGroup(
            services: [NodeService(node: node)] + (try makeAPIServices(node: node, logger: logger)),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// Keeps the node up until a graceful shutdown, then stops it cleanly.
struct NodeService: Service {
    let node: Node

    func run() async throws {
        try? await gracefulShutdown()
        await node.stop()
    }
}
