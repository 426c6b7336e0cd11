public import PoECrypto
public import PoEWire

/// An account: spendable balance and the nonce of its last accepted transaction.
public struct AccountState: Sendable, Equatable {
    public var key: PublicKey
    public var balance: UInt64
    public var nonce: UInt64
    public init(key: PublicKey, balance: UInt64, nonce: UInt64) {
        self.key = key
        self.balance = balance
        self.nonce = nonce
    }
}

/// A registered validator. Rows are never deleted, so node keys stay unique forever.
public struct ValidatorState: Sendable, Equatable {
    public var account: PublicKey
    public var nodeKey: PublicKey
    public var endpoint: String
    public var bond: UInt64
    /// Stake on its way out; slashable until withdrawn.
    public var unbonding: UInt64
    /// First height at which `unbonding` may be withdrawn.
    public var releaseHeight: UInt64
    /// Set by proven equivocation: never again in a validator set.
    public var jailed: Bool
    public var registeredHeight: UInt64
}

/// One member of one epoch's validator set.
public struct EpochMember: Sendable, Equatable {
    public var epoch: UInt64
    public var nodeKey: PublicKey
    public var account: PublicKey
}

/// A published code name.
public struct CodeEntry: Sendable, Equatable {
    public var name: String
    public var codeHash: Digest
    public var owner: PublicKey
    public var height: UInt64
}

public enum JobStatus: UInt8, Sendable, Equatable, CaseIterable {
    /// Committed, no digest has reached quorum yet.
    case pending = 0
    /// A digest reached quorum and is anchored; the fee is not yet paid out.
    case finalized = 1
    /// Finalized and paid out.
    case settled = 2
    /// No digest reached quorum by the deadline (or every validator attested without one):
    /// the fee went back to the submitter.
    case failed = 3
}

public struct JobState: Sendable, Equatable {
    public var id: Digest
    public var submitter: PublicKey
    public var nonce: UInt64
    public var spec: JobSpec
    /// The code hash the spec named, or the hash its published name resolved to at submission.
    public var codeHash: Digest
    public var fee: UInt64
    /// The fee while the job is unsettled, then zero.
    public var escrow: UInt64
    /// The epoch whose validator set runs and attests the job.
    public var epoch: UInt64
    public var submitHeight: UInt64
    /// Last height at which an attestation is accepted.
    public var deadlineHeight: UInt64
    public var status: JobStatus
    public var agreedDigest: Digest?
}

public struct AttestationRecord: Sendable, Equatable {
    public var signed: SignedAttestation
    public var height: UInt64
}

public struct AnchorEntry: Sendable, Equatable {
    public var jobID: Digest
    public var digest: Digest
    public var height: UInt64
}

public struct EvidenceRecord: Sendable, Equatable {
    public var nodeKey: PublicKey
    public var jobID: Digest
    public var height: UInt64
}

/// Ledger-wide counters. `minted` is fixed at genesis; `burned` grows with slashes and
/// fee remainders.
public struct LedgerMeta: Sendable, Equatable {
    public var height: UInt64
    public var minted: UInt64
    public var burned: UInt64
}

extension AccountState: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(key)
        writer.write(balance)
        writer.write(nonce)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        key = try reader.read()
        balance = try reader.readUInt64()
        nonce = try reader.readUInt64()
    }
}

extension ValidatorState: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(account)
        writer.write(nodeKey)
        writer.writeString(endpoint, bound: TransactionBody.endpointBytesMax)
        writer.write(bond)
        writer.write(unbonding)
        writer.write(releaseHeight)
        writer.write(jailed)
        writer.write(registeredHeight)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        account = try reader.read()
        nodeKey = try reader.read()
        endpoint = try reader.readString(bound: TransactionBody.endpointBytesMax, field: "endpoint")
        bond = try reader.readUInt64()
        unbonding = try reader.readUInt64()
        releaseHeight = try reader.readUInt64()
        jailed = try reader.readBool(field: "jailed")
        registeredHeight = try reader.readUInt64()
    }
}

extension EpochMember: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(epoch)
        writer.write(nodeKey)
        writer.write(account)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        epoch = try reader.readUInt64()
        nodeKey = try reader.read()
        account = try reader.read()
    }
}

extension CodeEntry: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeString(name, bound: TransactionBody.codeNameBytesMax)
        writer.write(codeHash)
        writer.write(owner)
        writer.write(height)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        name = try reader.readString(bound: TransactionBody.codeNameBytesMax, field: "code name")
        codeHash = try reader.read()
        owner = try reader.read()
        height = try reader.readUInt64()
    }
}

extension JobState: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(id)
        writer.write(submitter)
        writer.write(nonce)
        writer.write(spec)
        writer.write(codeHash)
        writer.write(fee)
        writer.write(escrow)
        writer.write(epoch)
        writer.write(submitHeight)
        writer.write(deadlineHeight)
        writer.write(status.rawValue)
        writer.writeOptional(agreedDigest)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        id = try reader.read()
        submitter = try reader.read()
        nonce = try reader.readUInt64()
        spec = try reader.read()
        codeHash = try reader.read()
        fee = try reader.readUInt64()
        escrow = try reader.readUInt64()
        epoch = try reader.readUInt64()
        submitHeight = try reader.readUInt64()
        deadlineHeight = try reader.readUInt64()
        let tag = try reader.readUInt8()
        guard let status = JobStatus(rawValue: tag) else { throw .invalidTag(field: "job status", tag: tag) }
        self.status = status
        agreedDigest = try reader.readOptional(field: "agreed digest")
    }
}

extension AttestationRecord: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(signed)
        writer.write(height)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        signed = try reader.read()
        height = try reader.readUInt64()
    }
}

extension AnchorEntry: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(jobID)
        writer.write(digest)
        writer.write(height)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        jobID = try reader.read()
        digest = try reader.read()
        height = try reader.readUInt64()
    }
}

extension EvidenceRecord: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(nodeKey)
        writer.write(jobID)
        writer.write(height)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        nodeKey = try reader.read()
        jobID = try reader.read()
        height = try reader.readUInt64()
    }
}

extension LedgerMeta: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(height)
        writer.write(minted)
        writer.write(burned)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        height = try reader.readUInt64()
        minted = try reader.readUInt64()
        burned = try reader.readUInt64()
    }
}
