import ArgumentParser
import Foundation
import PoECrypto
import PoELedger
import PoENode

/// `--node URL`, shared by the commands that talk to a node.
struct NodeClientOptions: ParsableArguments {
    static let defaultNode = "http://127.0.0.1:26700"

    @Option(name: .long, help: "Base URL of the node's HTTP API.")
    var node: String = NodeClientOptions.defaultNode

    @Option(name: .long, help: "Seconds allowed for each HTTP request (a node that does not answer is reported after it).")
    var requestTimeout: Int64 = 10

    func validate() throws {
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
    }

    func client(url: String? = nil) throws -> NodeClient {
        do {
            return try NodeClient(baseURL: url ?? node, timeoutSeconds: requestTimeout)
        } catch {
            throw CommandFailure(error.description)
        }
    }
}

/// File reading and argument parsing shared by the node commands.
enum CLIFiles {
    static func read(_ path: String, what: String, bytesMax: Int) throws -> [UInt8] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw CommandFailure("cannot read \(what) file \(path): no such file")
        }
        guard size <= bytesMax else {
            throw CommandFailure("\(what) file \(path) is \(size) bytes, over the \(bytesMax)-byte bound")
        }
        do {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CommandFailure("cannot read \(what) file \(path): \(error.localizedDescription)")
        }
    }

    static func write(_ bytes: [UInt8], to path: String, what: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(what) to \(path): \(error.localizedDescription)")
        }
    }

    static let genesisBytesMax = 64 << 20

    static func genesis(_ path: String) throws -> Genesis {
        let bytes = try read(path, what: "genesis", bytesMax: genesisBytesMax)
        do {
            return try Genesis.decode(json: Data(bytes))
        } catch {
            throw CommandFailure("\(path): \(error.description)")
        }
    }

    static func digest(_ text: String, what: String) throws -> Digest {
        guard let digest = Digest(hex: text) else { throw ValidationError("\(what) must be 64 hex digits") }
        return digest
    }
}

extension NodeClientError {
    /// As a command failure, printed as "Error: ..." with a non-zero exit.
    var failure: CommandFailure { CommandFailure(description) }
}

/// Runs a client call, turning its error into a command failure.
func calling<T>(_ body: () async throws(NodeClientError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw error.failure
    }
}
