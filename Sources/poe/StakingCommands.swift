import ArgumentParser
import Foundation
import PoECrypto
import PoELedger
import PoENode

/// What the staking commands share: the account key, the node to send to, and --wait.
struct StakingOptions: ParsableArguments {
    @OptionGroup var node: NodeClientOptions

    @Option(name: .long, help: "The validator's account key file (not the node key).")
    var key: String
    @Flag(name: .long, help: "Wait until the transaction is committed, rejected or refused.")
    var wait = false
    @Option(name: .long, parsing: .unconditional, help: "Seconds to wait with --wait.")
    var timeout: Int = 60

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// Signs `body` with the account's next nonce, sends it, and follows it with --wait.
    func send(_ body: TransactionBody, signer: PrivateKey, account: AccountResponse, client: NodeClient) async throws {
        let transaction = SignedTransaction.make(signer: signer, nonce: account.nonce + 1, body: body)
        let id = try await calling { () async throws(NodeClientError) in try await client.submit(transaction) }
        print("transaction  \(id.hex) (nonce \(transaction.nonce))")
        guard wait else { return }
        try await TransactionWaiter.follow(transaction, client: client, timeoutSeconds: timeout)
    }

    func signer() throws -> PrivateKey {
        do { return try KeyFile.read(from: key) } catch { throw CommandFailure(error.description) }
    }
}

/// `poe register`: bonds a stake and names the node key and peer endpoint.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Bond a stake from --key's account and register a validator (node key and peer endpoint).",
        discussion: """
            The validator joins the ledger's set from the next epoch: it attests jobs and is paid. \
            Registering again with the same node key adds to the bond.
            """)

    @OptionGroup var options: StakingOptions
    @Option(name: .long, parsing: .unconditional, help: "Tokens to bond (at least the chain's minimum stake).")
    var stake: UInt64
    @Option(name: .long, help: "The node's peer address that other validators dial, host:port.")
    var endpoint: String
    @Option(name: .customLong("node-key"), help: "The node's key file (its home's node.key).")
    var nodeKey: String

    func validate() throws {
        guard stake > 0 else { throw ValidationError("--stake must be at least 1") }
        guard endpoint.utf8.count <= TransactionBody.endpointBytesMax else {
            throw ValidationError("--endpoint is over \(TransactionBody.endpointBytesMax) bytes")
        }
        guard (try? parseHostPort(endpoint, field: "--endpoint")) != nil else {
            throw ValidationError("--endpoint must be host:port, got \"\(endpoint)\"")
        }
    }

    func run() async throws {
        let signer = try options.signer()
        let node: PrivateKey
        do { node = try KeyFile.read(from: nodeKey) } catch { throw CommandFailure(error.description) }
        let client = try options.node.client()
        let chain = try await calling { () async throws(NodeClientError) in try await client.chain() }
        let account = try await calling { () async throws(NodeClientError) in try await client.account(signer.publicKey) }
        if let validator = account.validator {
            guard !validator.jailed else { throw CommandFailure("this validator was jailed for equivocation; it cannot register again") }
            guard validator.nodeKey == node.publicKey.hex else {
                throw CommandFailure("already registered with node key \(validator.nodeKey.prefix(8)); a node key cannot change")
            }
        } else if stake < chain.parameters.minimumStake {
            throw CommandFailure("stake \(stake) is below the chain's minimum stake \(chain.parameters.minimumStake)")
        }
        guard account.balance >= stake else {
            throw CommandFailure("the account \(signer.publicKey.short) holds \(account.balance), less than the stake \(stake)")
        }
        print("account      \(signer.publicKey.hex) (balance \(account.balance))")
        print("node key     \(node.publicKey.hex)")
        try await options.send(
            .register(stake: stake, endpoint: endpoint, nodeKey: node.publicKey), signer: signer, account: account,
            client: client)
    }
}

/// `poe unbond`: starts the unbonding delay for part or all of the bond.
struct UnbondCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unbond",
        abstract: "Start unbonding tokens of --key's validator bond; `poe withdraw` returns them after the delay.",
        discussion: "A bond left below the minimum stake takes the validator out of the next epoch's set.")

    @OptionGroup var options: StakingOptions
    @Option(name: .long, parsing: .unconditional, help: "Tokens to unbond (at most the bond).")
    var amount: UInt64

    func validate() throws {
        guard amount > 0 else { throw ValidationError("--amount must be at least 1") }
    }

    func run() async throws {
        let signer = try options.signer()
        let client = try options.node.client()
        let account = try await calling { () async throws(NodeClientError) in try await client.account(signer.publicKey) }
        guard let validator = account.validator else {
            throw CommandFailure("the account \(signer.publicKey.short) has no validator; nothing is bonded")
        }
        guard amount <= validator.bond else { throw CommandFailure("unbond \(amount) of a bond of \(validator.bond)") }
        try await options.send(.unbond(amount: amount), signer: signer, account: account, client: client)
    }
}

/// `poe withdraw`: returns unbonded tokens to the account once the delay passed.
struct WithdrawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw", abstract: "Return --key's unbonded tokens to its account once the unbonding delay passed.")

    @OptionGroup var options: StakingOptions

    func run() async throws {
        let signer = try options.signer()
        let client = try options.node.client()
        let account = try await calling { () async throws(NodeClientError) in try await client.account(signer.publicKey) }
        guard let validator = account.validator else {
            throw CommandFailure("the account \(signer.publicKey.short) has no validator; nothing is unbonding")
        }
        guard validator.unbonding > 0 else { throw CommandFailure("nothing is unbonding (bond \(validator.bond))") }
        let height = try await calling { () async throws(NodeClientError) in try await client.status() }.height
        guard height >= validator.releaseHeight else {
            throw CommandFailure(
                "unbonding not finished: \(validator.unbonding) tokens are released at height \(validator.releaseHeight), now \(height)")
        }
        try await options.send(.withdraw, signer: signer, account: account, client: client)
    }
}
