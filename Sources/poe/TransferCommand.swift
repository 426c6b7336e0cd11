import ArgumentParser
import Foundation
import PoECrypto
import PoELedger
import PoENode

/// `poe transfer`: moves tokens from the key's account to another account.
struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Send tokens from the account of --key to --to.",
        discussion: "Signs a Transfer with the account's next nonce. With --wait, follows it until it is committed.")

    @OptionGroup var options: NodeClientOptions

    @Option(name: .long, help: "The sender's key file.")
    var key: String
    @Option(name: .long, help: "The recipient's public key (64 hex digits).")
    var to: String
    @Option(name: .long, parsing: .unconditional, help: "How many tokens to send (at least 1).")
    var amount: UInt64
    @Flag(name: .long, help: "Wait until the transfer is committed, rejected or refused.")
    var wait = false
    @Option(name: .long, parsing: .unconditional, help: "Seconds to wait with --wait.")
    var timeout: Int = 60

    func validate() throws {
        guard amount > 0 else { throw ValidationError("--amount must be at least 1") }
        guard (try? PublicKey(hex: to)) != nil else { throw ValidationError("--to must be a 64-hex-digit public key") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let signer: PrivateKey
        do { signer = try KeyFile.read(from: key) } catch { throw CommandFailure(error.description) }
        let recipient = try PublicKey(hex: to)
        let client = try options.client()
        let account = try await calling { () async throws(NodeClientError) in try await client.account(signer.publicKey) }
        guard account.balance >= amount else {
            throw CommandFailure("the account \(signer.publicKey.short) holds \(account.balance), less than \(amount)")
        }
        let transaction = SignedTransaction.make(
            signer: signer, nonce: account.nonce + 1, body: .transfer(to: recipient, amount: amount))
        let id = try await calling { () async throws(NodeClientError) in try await client.submit(transaction) }
        print("transaction  \(id.hex) (nonce \(transaction.nonce))")
        guard wait else { return }
        try await TransactionWaiter.follow(transaction, client: client, timeoutSeconds: timeout)
    }
}

extension TransactionWaiter {
    /// Follows `transaction` and prints its fate; any end but a commit is a failure.
    static func follow(_ transaction: SignedTransaction, client: NodeClient, timeoutSeconds: Int) async throws {
        let waiter = TransactionWaiter(client: client, transaction: transaction, timeoutSeconds: timeoutSeconds)
        let outcome = try await calling { () async throws(NodeClientError) in try await waiter.run() }
        let line = outcome.line(transactionID: transaction.id.hex, nonce: transaction.nonce)
        guard outcome.isCommitted else { throw CommandFailure(line) }
        print(line)
    }
}
