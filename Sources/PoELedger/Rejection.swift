public import PoEWire

/// Why a transaction was recorded as failed. Stable codes: they are stored in receipts.
public enum RejectionKind: UInt8, Sendable, Equatable, CaseIterable {
    case badSignature = 0
    case badNonce = 1
    case malformedBody = 2
    case insufficientFunds = 3
    case invalidAmount = 4
    case belowMinimumStake = 5
    case nodeKeyTaken = 6
    case notAValidator = 7
    case jailed = 8
    case nothingToWithdraw = 9
    case unbondingNotReleased = 10
    case codeNameTaken = 11
    case invalidCodeName = 12
    case unknownCode = 13
    case invalidJobSpec = 14
    case noValidators = 15
    case unknownJob = 16
    case jobSettled = 17
    case deadlinePassed = 18
    case wrongChain = 19
    case notInValidatorSet = 20
    case duplicateAttestation = 21
    case badAttestationSignature = 22
    case invalidEvidence = 23
    case evidenceAlreadyUsed = 24
    case invalidEndpoint = 25
}

/// A failed transaction's reason: a stable kind plus a human-readable detail.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public static let detailBytesMax = 512

    public var kind: RejectionKind
    public var detail: String

    public init(_ kind: RejectionKind, _ detail: String) {
        self.kind = kind
        // Bounded so a receipt can always be encoded.
        self.detail = detail.utf8.count <= Rejection.detailBytesMax ? detail : String(decoding: detail.utf8.prefix(Rejection.detailBytesMax - 3), as: UTF8.self)
    }

    public var description: String { "\(kind): \(detail)" }
}

extension Rejection: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(kind.rawValue)
        writer.writeString(detail, bound: Rejection.detailBytesMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let tag = try reader.readUInt8()
        guard let kind = RejectionKind(rawValue: tag) else { throw .invalidTag(field: "rejection kind", tag: tag) }
        self.kind = kind
        detail = try reader.readString(bound: Rejection.detailBytesMax, field: "rejection detail")
    }
}
