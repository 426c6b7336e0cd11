import PBFT
import PoECrypto
import Testing

@testable import PoENode

/// `poe bench --ordering-only`: the real replica, vote log and network ordering unsigned
/// requests, each counted once f+1 replicas delivered it.
@Suite struct OrderingBenchmarkTests {
    let clients = (0..<3).map { PrivateKey.deterministic(seed: "tracker-client-\($0)").publicKey }

    @Test func aRequestIsOrderedAtItsFPlusOnethDeliveryAndNotBefore() throws {
        let tracker = DeliveryTracker(requests: 6, clients: clients, needed: 2, replicas: 3)
        let request = tracker.request(4)
        #expect(request.client == clients[1] && request.timestamp == 2, "request i is client i % 3's, timestamp i / 3 + 1")
        tracker.record([request.key])
        #expect(tracker.orderedAt(4) == nil && tracker.orderedCount == 0, "one delivery of two needed")
        tracker.record([request.key, tracker.request(0).key])
        #expect(tracker.orderedAt(4) != nil && tracker.orderedCount == 1)
        #expect(tracker.deliveredEverywhereCount == 0)
        tracker.record([request.key])
        #expect(tracker.orderedCount == 1, "a third delivery orders nothing again")
        #expect(tracker.deliveredEverywhereCount == 1, "but the request has left every replica")
    }

    @Test func deliveriesOfUnknownRequestsAreIgnored() {
        let tracker = DeliveryTracker(requests: 3, clients: clients, needed: 1, replicas: 1)
        let stranger = ClientRequest(
            client: PrivateKey.deterministic(seed: "stranger").publicKey, timestamp: 1, operation: [],
            signature: tracker.request(0).signature)
        let beyond = ClientRequest(client: clients[0], timestamp: 99, operation: [], signature: tracker.request(0).signature)
        tracker.record([stranger.key, beyond.key])
        #expect(tracker.orderedCount == 0)
    }

    @Test func requestsCarryEightBytesAndNoSignature() {
        let tracker = DeliveryTracker(requests: 300, clients: clients, needed: 1, replicas: 1)
        let request = tracker.request(258)
        #expect(request.operation == [2, 1, 0, 0, 0, 0, 0, 0], "the index, little-endian")
        #expect(request.signature.bytes == [UInt8](repeating: 0, count: 64))
        #expect(!MessageValidator.realVerify(request.client, request.signature, request.signedBytes, .transaction))
    }

    /// Four replicas over TCP order every request of a burst and then each request sent
    /// alone, though no request is signed: the votes are, and are verified.
    @Test func fourReplicasOrderEveryRequest() async throws {
        var benchmark = OrderingBenchmark()
        benchmark.requests = 600
        benchmark.clients = 2
        benchmark.outstandingPerClient = 100
        benchmark.sequentialRequests = 3
        let result = try await benchmark.run(nodes: 4)
        #expect(result.requests == 600)
        #expect(result.requestsPerSecond > 0 && result.burstSeconds > 0)
        #expect(result.burstLatencyMs.p50 > 0 && result.burstLatencyMs.p50 <= result.burstLatencyMs.max)
        #expect(result.sequentialLatencyMs.p50 > 0)
    }
}
