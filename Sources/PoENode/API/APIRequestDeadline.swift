import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The time a client has to deliver a request whole once its head has arrived: a base
/// plus its body at a minimum rate. The idle timeout alone does not bound this: every
/// body byte counts as activity, so a body trickled a byte at a time held its connection
/// (and its address's slots) for as long as the client liked. A head still arrives
/// within the idle timeout, since no part is read before the head is whole.
struct APIRequestDeadline: Sendable {
    let baseSeconds: Int64
    let metrics: APIRequestMetrics

    init(baseSeconds: Int64, metrics: APIRequestMetrics) {
        precondition(baseSeconds > 0, "a request must be given time to arrive")
        self.baseSeconds = baseSeconds
        self.metrics = metrics
    }

    /// The deadline of a request whose head announces `contentLength` bytes of body;
    /// without one (a chunked body), the largest body any route takes.
    func allowance(contentLength: Int?) -> TimeAmount {
        let bytes = min(max(contentLength ?? APILimits.blobBytesMax, 0), APILimits.blobBytesMax)
        return .seconds(baseSeconds) + .nanoseconds(Int64(bytes) * 1_000_000_000 / Int64(APILimits.bodyBytesPerSecondMin))
    }

    /// The handler each API connection carries.
    func handler() -> APIRequestDeadlineHandler { APIRequestDeadlineHandler(deadline: self) }
}

/// Closes its connection when a request's end has not arrived within its allowance of
/// its head, and counts it in `poe_http_requests_timed_out_total`.
final class APIRequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    let deadline: APIRequestDeadline
    private var expiry: Scheduled<Void>?

    init(deadline: APIRequestDeadline) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            expiry?.cancel()
            let contentLength = head.headerFields[.contentLength].flatMap { Int($0) }
            let channel = context.channel
            let metrics = deadline.metrics
            expiry = context.eventLoop.scheduleTask(in: deadline.allowance(contentLength: contentLength)) {
                metrics.requestTimedOut()
                channel.close(promise: nil)
            }
        case .body:
            break
        case .end:
            expiry?.cancel()
            expiry = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        expiry?.cancel()
        expiry = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        expiry?.cancel()
        expiry = nil
    }
}
