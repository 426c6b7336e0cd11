import NIOConcurrencyHelpers
import NIOCore

/// Connections one remote address may hold open on the API at once. The total cap
/// (`APIConnectionLimit`) keeps a flood from taking the node's memory; this keeps one
/// client from taking every slot of that cap: past its quota, a new connection from
/// the same address is closed as soon as it is accepted, and counted.
final class APIAddressLimit: Sendable {
    let perAddressMax: Int
    let metrics: APIRequestMetrics
    private let open = NIOLockedValueBox<[String: Int]>([:])

    init(perAddressMax: Int, metrics: APIRequestMetrics) {
        precondition(perAddressMax > 0, "an address must be allowed a connection")
        self.perAddressMax = perAddressMax
        self.metrics = metrics
    }

    /// Takes a slot for `address`; false when it holds its quota already.
    func admit(_ address: String) -> Bool {
        open.withLockedValue { open in
            let held = open[address, default: 0]
            guard held < perAddressMax else { return false }
            open[address] = held + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLockedValue { open in
            guard let held = open[address] else { preconditionFailure("released an address that held no slot") }
            open[address] = held > 1 ? held - 1 : nil
        }
    }

    /// The handler each API connection starts with.
    func handler() -> APIAddressLimitHandler { APIAddressLimitHandler(limit: self) }
}

/// Admits its connection against the per-address quota when added to the pipeline
/// (an accepted connection knows its remote address by then), and releases the slot
/// when the connection closes.
final class APIAddressLimitHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let limit: APIAddressLimit

    init(limit: APIAddressLimit) { self.limit = limit }

    func handlerAdded(context: ChannelHandlerContext) {
        // A connection with no address (a closed one) holds no slot and is closed.
        guard let address = context.channel.remoteAddress?.ipAddress else {
            context.close(promise: nil)
            return
        }
        guard limit.admit(address) else {
            limit.metrics.connectionRefused()
            context.close(promise: nil)
            return
        }
        let limit = self.limit
        context.channel.closeFuture.whenComplete { _ in limit.release(address) }
    }
}
