import Logging
import PoENode
import ServiceLifecycle

/// The HTTP API of `poe node`, served on the home's `apiListen` address.
func makeAPIServices(node: Node, logger: Logger) throws -> [any Service] {
    let address = try parseHostPort(node.config.apiListen, field: "apiListen")
    return [makeAPIApplication(backend: node, host: address.host, port: address.port, logger: logger)]
}
