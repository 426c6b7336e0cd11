public import PoECrypto
public import PoEWire

/// What a transaction does. Encoded (WireCodable) into `SignedTransaction.body`.
public enum TransactionBody: Sendable, Equatable {
    public static let endpointBytesMax = 256
    public static let codeNameBytesMax = 128

    /// Moves `amount` from the sender's balance to `to`.
    case transfer(to: PublicKey, amount: UInt64)
    /// Bonds `stake` from the sender's balance: creates the sender's validator (stake at
    /// least the minimum), or adds to it (same node key; the endpoint is updated).
    case register(stake: UInt64, endpoint: String, nodeKey: PublicKey)
    /// Moves `amount` of the bond to unbonding; it can be withdrawn after the delay.
    case unbond(amount: UInt64)
    /// Moves the released unbonding amount back to the balance.
    case withdraw
    /// Write-once registry: `name` -> `codeHash`.
    case publishCode(name: String, codeHash: Digest)
    /// Creates a job; `fee` moves from the balance to the job's escrow.
    case submitJob(spec: JobSpec, fee: UInt64)
    /// Carries a validator's node-key-signed attestation. Any account may carry it.
    case attest(SignedAttestation)
    /// Two attestations by one node key for one job with different result digests.
    case evidence(first: SignedAttestation, second: SignedAttestation)
}

extension TransactionBody: WireCodable {
    public func encode(to writer: inout WireWriter) {
        switch self {
        case .transfer(let to, let amount):
            writer.write(UInt8(0))
            writer.write(to)
            writer.write(amount)
        case .register(let stake, let endpoint, let nodeKey):
            writer.write(UInt8(1))
            writer.write(stake)
            writer.writeString(endpoint, bound: TransactionBody.endpointBytesMax)
            writer.write(nodeKey)
        case .unbond(let amount):
            writer.write(UInt8(2))
            writer.write(amount)
        case .withdraw:
            writer.write(UInt8(3))
        case .publishCode(let name, let codeHash):
            writer.write(UInt8(4))
            writer.writeString(name, bound: TransactionBody.codeNameBytesMax)
            writer.write(codeHash)
        case .submitJob(let spec, let fee):
            writer.write(UInt8(5))
            writer.write(spec)
            writer.write(fee)
        case .attest(let attestation):
            writer.write(UInt8(6))
            writer.write(attestation)
        case .evidence(let first, let second):
            writer.write(UInt8(7))
            writer.write(first)
            writer.write(second)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        switch try reader.readUInt8() {
        case 0: self = .transfer(to: try reader.read(), amount: try reader.readUInt64())
        case 1:
            self = .register(
                stake: try reader.readUInt64(),
                endpoint: try reader.readString(bound: TransactionBody.endpointBytesMax, field: "endpoint"),
                nodeKey: try reader.read())
        case 2: self = .unbond(amount: try reader.readUInt64())
        case 3: self = .withdraw
        case 4:
            self = .publishCode(
                name: try reader.readString(bound: TransactionBody.codeNameBytesMax, field: "code name"),
                codeHash: try reader.read())
        case 5: self = .submitJob(spec: try reader.read(), fee: try reader.readUInt64())
        case 6: self = .attest(try reader.read())
        case 7: self = .evidence(first: try reader.read(), second: try reader.read())
        case let tag: throw .invalidTag(field: "transaction body", tag: tag)
        }
    }
}
