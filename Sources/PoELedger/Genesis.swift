public import Foundation
public import PoECrypto
public import PoEWire

/// The parameters every validator applies; fixed at genesis.
public struct LedgerParameters: Codable, Sendable, Equatable {
    /// Smallest bond that makes (or keeps) a validator eligible for an epoch's set.
    public var minimumStake: UInt64
    /// Fraction of a validator's stake burned for attesting a digest other than the agreed one.
    public var wrongResultSlashBasisPoints: UInt16
    /// Fraction burned on proof of equivocation; the validator is also jailed.
    public var equivocationSlashBasisPoints: UInt16
    /// Largest deadline a job spec may ask for, in heights after the job's commit height.
    public var jobDeadlineHeightsMax: UInt64
    /// Heights per epoch; the validator set changes only at epoch boundaries.
    public var epochLengthHeights: UInt64
    /// Heights between an `Unbond` and the `Withdraw` that may release it.
    public var unbondingDelayHeights: UInt64
    /// The execution profile (`PoEExecutor.ExecutionProfile.name`) every job runs under:
    /// everything that decides a result digest. A node whose build cannot run it does not
    /// attest (neither paid nor slashed).
    public var executionProfile: String
    /// The most fuel a job may ask for per height of its deadline: a job's fuel must fit
    /// `deadlineHeights × jobFuelPerHeightMax`, so that its worst-case run (at the
    /// profile's slowest measured rate) ends before its deadline on a busy chain.
    public var jobFuelPerHeightMax: UInt64

    public static let executionProfileDefault = "poe-wasm/2"
    public static let jobFuelPerHeightMaxDefault: UInt64 = 2_000_000
    public static let executionProfileBytesMax = 64

    public init(
        minimumStake: UInt64, wrongResultSlashBasisPoints: UInt16, equivocationSlashBasisPoints: UInt16,
        jobDeadlineHeightsMax: UInt64, epochLengthHeights: UInt64, unbondingDelayHeights: UInt64,
        executionProfile: String = LedgerParameters.executionProfileDefault,
        jobFuelPerHeightMax: UInt64 = LedgerParameters.jobFuelPerHeightMaxDefault
    ) {
        self.minimumStake = minimumStake
        self.wrongResultSlashBasisPoints = wrongResultSlashBasisPoints
        self.equivocationSlashBasisPoints = equivocationSlashBasisPoints
        self.jobDeadlineHeightsMax = jobDeadlineHeightsMax
        self.epochLengthHeights = epochLengthHeights
        self.unbondingDelayHeights = unbondingDelayHeights
        self.executionProfile = executionProfile
        self.jobFuelPerHeightMax = jobFuelPerHeightMax
    }

    private enum CodingKeys: String, CodingKey {
        case minimumStake, wrongResultSlashBasisPoints, equivocationSlashBasisPoints, jobDeadlineHeightsMax
        case epochLengthHeights, unbondingDelayHeights, executionProfile, jobFuelPerHeightMax
    }

    /// A genesis written before the profile and the fuel rate existed gets their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minimumStake = try container.decode(UInt64.self, forKey: .minimumStake)
        wrongResultSlashBasisPoints = try container.decode(UInt16.self, forKey: .wrongResultSlashBasisPoints)
        equivocationSlashBasisPoints = try container.decode(UInt16.self, forKey: .equivocationSlashBasisPoints)
        jobDeadlineHeightsMax = try container.decode(UInt64.self, forKey: .jobDeadlineHeightsMax)
        epochLengthHeights = try container.decode(UInt64.self, forKey: .epochLengthHeights)
        unbondingDelayHeights = try container.decode(UInt64.self, forKey: .unbondingDelayHeights)
        executionProfile =
            try container.decodeIfPresent(String.self, forKey: .executionProfile) ?? LedgerParameters.executionProfileDefault
        jobFuelPerHeightMax =
            try container.decodeIfPresent(UInt64.self, forKey: .jobFuelPerHeightMax)
            ?? LedgerParameters.jobFuelPerHeightMaxDefault
    }

    /// The most fuel a job with this deadline may ask for.
    public func fuelMax(deadlineHeights: UInt64) -> UInt64 {
        let (product, overflow) = deadlineHeights.multipliedReportingOverflow(by: jobFuelPerHeightMax)
        return overflow ? UInt64.max : product
    }
}

public struct GenesisAccount: Codable, Sendable, Equatable {
    public var key: PublicKey
    public var balance: UInt64
    public init(key: PublicKey, balance: UInt64) {
        self.key = key
        self.balance = balance
    }
}

public struct GenesisValidator: Codable, Sendable, Equatable {
    /// The account that owns the bond and receives rewards.
    public var account: PublicKey
    /// The key the node signs attestations (and consensus messages) with.
    public var nodeKey: PublicKey
    public var bond: UInt64
    public var endpoint: String
    public init(account: PublicKey, nodeKey: PublicKey, bond: UInt64, endpoint: String) {
        self.account = account
        self.nodeKey = nodeKey
        self.bond = bond
        self.endpoint = endpoint
    }
}

public enum GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(String)
    case invalidChainID(String)
    case duplicateAccount(String)
    case duplicateValidator(String)
    case duplicateNodeKey(String)
    case bondBelowMinimum(account: String, bond: UInt64, minimum: UInt64)
    case invalidEndpoint(String)
    case invalidParameter(String)
    case supplyTooLarge
    case tooManyValidators(count: Int, max: Int)

    public var description: String {
        switch self {
        case .invalidJSON(let why): return "genesis: not valid genesis JSON: \(why)"
        case .invalidChainID(let why): return "genesis: chainID \(why)"
        case .duplicateAccount(let key): return "genesis: account \(key) listed twice"
        case .duplicateValidator(let key): return "genesis: validator account \(key) listed twice"
        case .duplicateNodeKey(let key): return "genesis: node key \(key) used by two validators"
        case .bondBelowMinimum(let account, let bond, let minimum):
            return "genesis: validator \(account) bonds \(bond), below the minimum stake \(minimum)"
        case .invalidEndpoint(let why): return "genesis: endpoint \(why)"
        case .invalidParameter(let why): return "genesis: parameter \(why)"
        case .supplyTooLarge: return "genesis: total supply exceeds \(Int64.max)"
        case .tooManyValidators(let count, let max): return "genesis: \(count) validators, at most \(max)"
        }
    }
}

/// The ledger's starting state and rules, shared by every node of a chain.
public struct Genesis: Codable, Sendable, Equatable {
    public static let chainIDBytesMax = 64
    public static let accountCountMax = 100_000

    public var chainID: String
    public var accounts: [GenesisAccount]
    public var validators: [GenesisValidator]
    public var parameters: LedgerParameters

    public init(chainID: String, accounts: [GenesisAccount], validators: [GenesisValidator], parameters: LedgerParameters) {
        self.chainID = chainID
        self.accounts = accounts
        self.validators = validators
        self.parameters = parameters
    }

    /// Parses and validates genesis JSON.
    public static func decode(json: Data) throws(GenesisError) -> Genesis {
        let genesis: Genesis
        do {
            genesis = try JSONDecoder().decode(Genesis.self, from: json)
        } catch {
            throw .invalidJSON(String(describing: error))
        }
        try genesis.validate()
        return genesis
    }

    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Tokens created at genesis: balances plus bonds. Valid only after `validate()`.
    public var mintedSupply: UInt64 {
        accounts.reduce(0) { $0 + $1.balance } + validators.reduce(0) { $0 + $1.bond }
    }

    public func validate() throws(GenesisError) {
        try validateChainID()
        try validateParameters()
        guard accounts.count <= Genesis.accountCountMax else {
            throw .invalidParameter("too many genesis accounts (\(accounts.count) > \(Genesis.accountCountMax))")
        }
        guard validators.count <= ValidatorSet.memberCountMax else {
            throw .tooManyValidators(count: validators.count, max: ValidatorSet.memberCountMax)
        }
        var seen = Set<PublicKey>()
        for account in accounts where !seen.insert(account.key).inserted {
            throw .duplicateAccount(account.key.hex)
        }
        try validateValidators()
        try validateSupply()
    }

    private func validateChainID() throws(GenesisError) {
        guard !chainID.isEmpty else { throw .invalidChainID("is empty") }
        guard chainID.utf8.count <= Genesis.chainIDBytesMax else {
            throw .invalidChainID("is longer than \(Genesis.chainIDBytesMax) bytes")
        }
    }

    private func validateParameters() throws(GenesisError) {
        let p = parameters
        guard p.minimumStake > 0 else { throw .invalidParameter("minimumStake must be positive") }
        guard p.wrongResultSlashBasisPoints <= 10_000 else {
            throw .invalidParameter("wrongResultSlashBasisPoints must be at most 10000")
        }
        guard p.equivocationSlashBasisPoints <= 10_000 else {
            throw .invalidParameter("equivocationSlashBasisPoints must be at most 10000")
        }
        guard p.jobDeadlineHeightsMax > 0, p.jobDeadlineHeightsMax <= 1 << 32 else {
            throw .invalidParameter("jobDeadlineHeightsMax must be in 1...2^32")
        }
        guard p.epochLengthHeights > 0, p.epochLengthHeights <= 1 << 32 else {
            throw .invalidParameter("epochLengthHeights must be in 1...2^32")
        }
        guard p.unbondingDelayHeights <= 1 << 32 else {
            throw .invalidParameter("unbondingDelayHeights must be at most 2^32")
        }
        guard !p.executionProfile.isEmpty, p.executionProfile.utf8.count <= LedgerParameters.executionProfileBytesMax else {
            throw .invalidParameter("executionProfile must be 1...\(LedgerParameters.executionProfileBytesMax) bytes")
        }
        guard p.jobFuelPerHeightMax > 0 else { throw .invalidParameter("jobFuelPerHeightMax must be positive") }
    }

    private func validateValidators() throws(GenesisError) {
        var accountsSeen = Set<PublicKey>()
        var nodeKeysSeen = Set<PublicKey>()
        for validator in validators {
            guard accountsSeen.insert(validator.account).inserted else { throw .duplicateValidator(validator.account.hex) }
            guard nodeKeysSeen.insert(validator.nodeKey).inserted else { throw .duplicateNodeKey(validator.nodeKey.hex) }
            guard validator.bond >= parameters.minimumStake else {
                throw .bondBelowMinimum(account: validator.account.hex, bond: validator.bond, minimum: parameters.minimumStake)
            }
            guard !validator.endpoint.isEmpty, validator.endpoint.utf8.count <= TransactionBody.endpointBytesMax else {
                throw .invalidEndpoint("of \(validator.account.hex) must be 1...\(TransactionBody.endpointBytesMax) bytes")
            }
        }
    }

    /// Every amount the ledger stores fits in SQLite's signed 64-bit integers because the
    /// whole supply does.
    private func validateSupply() throws(GenesisError) {
        var total: UInt64 = 0
        let amounts = accounts.map(\.balance) + validators.map(\.bond)
        for amount in amounts {
            let (sum, overflow) = total.addingReportingOverflow(amount)
            guard !overflow, sum <= UInt64(Int64.max) else { throw .supplyTooLarge }
            total = sum
        }
    }

    /// Digest of the canonical encoding: a node refuses a database made from another genesis.
    public var digest: Digest { Digest.of(self) }
}

extension Genesis: WireEncodable {
    public func encode(to writer: inout WireWriter) {
        writer.writeString(chainID, bound: Genesis.chainIDBytesMax)
        writer.write(UInt32(accounts.count))
        for account in accounts {
            writer.write(account.key)
            writer.write(account.balance)
        }
        writer.write(UInt32(validators.count))
        for validator in validators {
            writer.write(validator.account)
            writer.write(validator.nodeKey)
            writer.write(validator.bond)
            writer.writeString(validator.endpoint, bound: TransactionBody.endpointBytesMax)
        }
        let p = parameters
        writer.write(p.minimumStake)
        writer.write(p.wrongResultSlashBasisPoints)
        writer.write(p.equivocationSlashBasisPoints)
        writer.write(p.jobDeadlineHeightsMax)
        writer.write(p.epochLengthHeights)
        writer.write(p.unbondingDelayHeights)
        writer.writeString(p.executionProfile, bound: LedgerParameters.executionProfileBytesMax)
        writer.write(p.jobFuelPerHeightMax)
    }
}
