import ArgumentParser
import Foundation
import Logging
import PoENode
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a validator from its home folder until SIGTERM or SIGINT.",
        discussion: """
            Logs go to standard error, one line per event: text (the default) or one JSON \
            object per line (--log-format json). See docs/OPERATOR.md for what each level says.
            """)

    @Option(name: .long, help: "The node's home (made by `poe testnet`).")
    var home: String

    @Option(help: "The least severe log lines written.")
    var logLevel: LogLevelOption = .info

    @Option(help: "text: one readable line per event; json: one JSON object per line.")
    var logFormat: LogFormatOption = .text

    func run() async throws {
        // The library sets the mode of every file it knows to hold the node's data (0700
        // folders, 0600 files); the umask covers what it does not know of, such as files
        // SQLite or Foundation create on their own, so that nothing the node writes is
        // open to other users of the machine.
        umask(0o077)
        let format = logFormat.format
        var logger = Logger(label: "poe.node") { label in NodeLogHandler(label: label, format: format) }
        logger.logLevel = logLevel.level
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

/// `--log-level`: ArgumentParser refuses any other word and lists these.
enum LogLevelOption: String, CaseIterable, ExpressibleByArgument {
    case trace, debug, info, notice, warning, error, critical

    var level: Logger.Level {
        switch self {
        case .trace: return .trace
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical: return .critical
        }
    }
}

/// `--log-format`.
enum LogFormatOption: String, CaseIterable, ExpressibleByArgument {
    case text, json

    var format: LogFormat {
        switch self {
        case .text: return .text
        case .json: return .json
        }
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
