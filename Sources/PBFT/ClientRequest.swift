public import PoECrypto
public import PoEWire

/// A client's signed request, in the shape shared with ledger transactions:
/// signed bytes = client (32) ‖ UInt64 timestamp ‖ UInt32 length ‖ operation, in
/// domain `.transaction`. The timestamp orders one client's requests (exactly-once).
public struct ClientRequest: Hashable, Sendable {
    public let client: PublicKey
    public let timestamp: UInt64
    public let operation: [UInt8]
    public let signature: Signature

    public init(client: PublicKey, timestamp: UInt64, operation: [UInt8], signature: Signature) {
        precondition(operation.count <= Limits.operationBytesMax, "operation over bound")
        self.client = client
        self.timestamp = timestamp
        self.operation = operation
        self.signature = signature
    }

    /// Signs a new request with the client's key.
    public static func signed(by key: PrivateKey, timestamp: UInt64, operation: [UInt8]) -> ClientRequest {
        let bytes = signedBytes(client: key.publicKey, timestamp: timestamp, operation: operation)
        return ClientRequest(client: key.publicKey, timestamp: timestamp, operation: operation,
                             signature: key.sign(bytes, domain: .transaction))
    }

    public static func signedBytes(client: PublicKey, timestamp: UInt64, operation: [UInt8]) -> [UInt8] {
        var writer = WireWriter(reservingCapacity: 44 + operation.count)
        writer.write(client)
        writer.write(timestamp)
        writer.writeBytes(operation, bound: Limits.operationBytesMax)
        return writer.bytes
    }

    public var signedBytes: [UInt8] {
        ClientRequest.signedBytes(client: client, timestamp: timestamp, operation: operation)
    }

    public var key: RequestKey { RequestKey(client: client, timestamp: timestamp) }
    public var digest: Digest { Digest.of(self) }
}

/// Identifies a request for deduplication: one client, one timestamp.
public struct RequestKey: Hashable, Sendable {
    public let client: PublicKey
    public let timestamp: UInt64
}

extension ClientRequest: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(client)
        writer.write(timestamp)
        writer.writeBytes(operation, bound: Limits.operationBytesMax)
        writer.write(signature)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        client = try reader.read()
        timestamp = try reader.readUInt64()
        operation = try reader.readBytes(bound: Limits.operationBytesMax, field: "operation")
        signature = try reader.read()
    }
}

/// A batch of requests ordered at one sequence number. Its digest is what replicas vote on.
public struct Batch: Hashable, Sendable {
    public let requests: [ClientRequest]
    public let digest: Digest

    public init(requests: [ClientRequest]) {
        precondition(requests.count <= Limits.batchRequestsMax, "batch over bound")
        self.requests = requests
        var writer = WireWriter()
        writer.writeArray(requests, bound: Limits.batchRequestsMax)
        digest = Digest.sha256(writer.bytes)
    }

    /// The null request of Castro–Liskov §4.4: fills a sequence number nobody prepared.
    public static let null = Batch(requests: [])
}

extension Batch: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeArray(requests, bound: Limits.batchRequestsMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let requests = try reader.readArray(ClientRequest.self, bound: Limits.batchRequestsMax,
                                            minElementBytes: 108, field: "batch")
        self.init(requests: requests)
    }
}
