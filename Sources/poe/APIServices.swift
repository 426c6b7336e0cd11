import Logging
import PoENode
import ServiceLifecycle

/// The HTTP API's services for `poe node`; empty until the API lands.
func makeAPIServices(node: Node, logger: Logger) throws -> [any Service] { [] }
