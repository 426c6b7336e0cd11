import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoELedger
import PoENode
import Testing

/// `poe transfer --wait` against a real server: each way following a transaction ends.
@Suite struct TransactionWaiterTests {
    static func waiter(_ port: Int, _ transaction: SignedTransaction, timeout: Int) throws -> TransactionWaiter {
        var waiter = TransactionWaiter(
            client: try NodeClient(baseURL: "http://127.0.0.1:\(port)/", timeoutSeconds: 10), transaction: transaction,
            timeoutSeconds: timeout)
        waiter.pollMilliseconds = 20
        return waiter
    }

    /// Runs `body` with a fake node's API served on a free loopback port.
    static func withLiveNode(_ body: @escaping @Sendable (FakeBackend, Int) async throws -> Void) async throws {
        let backend = try FakeBackend()
        try await NodeClientLiveTests.liveApp(backend).test(.live) { testClient in
            try await body(backend, try #require(testClient.port))
        }
    }

    static func transfer(nonce: UInt64, amount: UInt64) -> SignedTransaction {
        SignedTransaction.make(
            signer: TestKeys.account(7), nonce: nonce, body: .transfer(to: TestKeys.account(6).publicKey, amount: amount))
    }

    @Test func aCommittedTransferEndsCommitted() async throws {
        try await Self.withLiveNode { backend, port in
            let transaction = Self.transfer(nonce: 1, amount: 5)
            try backend.submit(transaction)
            let commit = Task {
                try await Task.sleep(for: .milliseconds(150))
                _ = try backend.commitSubmitted()
            }
            let outcome = try await Self.waiter(port, transaction, timeout: 20).run()
            try await commit.value
            #expect(outcome == .committed(height: 1))
        }
    }

    /// A node that caught up by state transfer holds no receipt of the heights it skipped:
    /// here the ledger spends nonce 1 with another transfer while the node's own status of
    /// the first stays pending, as it does on such a node.
    @Test func aSpentNonceWithNoReceiptHereSaysSoInsteadOfWaitingForEver() async throws {
        try await Self.withLiveNode { backend, port in
            let transaction = Self.transfer(nonce: 1, amount: 5)
            try backend.submit(transaction)
            let other = Self.transfer(nonce: 1, amount: 6)
            _ = try backend.ledger.apply(batch: Batch(height: 1, transactions: [other]))
            #expect(backend.transactionStatus(transaction.id) == .pending)

            let outcome = try await Self.waiter(port, transaction, timeout: 20).run()
            #expect(outcome == .spentElsewhere(accountNonce: 1))
            let line = outcome.line(transactionID: transaction.id.hex, nonce: 1)
            #expect(line.contains("state transfer") && line.contains(transaction.id.hex))
        }
    }

    @Test func aPendingTransferWhoseNonceIsFreeWaitsUntilTheTimeout() async throws {
        try await Self.withLiveNode { backend, port in
            let transaction = Self.transfer(nonce: 1, amount: 5)
            try backend.submit(transaction)
            let outcome = try await Self.waiter(port, transaction, timeout: 1).run()
            #expect(outcome == .timedOut(seconds: 1, lastState: "pending"))
        }
    }

    @Test func aTransactionTheNodeNeverSawTimesOutAsNotSeen() async throws {
        try await Self.withLiveNode { backend, port in
            let outcome = try await Self.waiter(port, Self.transfer(nonce: 1, amount: 5), timeout: 1).run()
            #expect(outcome == .timedOut(seconds: 1, lastState: "not seen by the node"))
        }
    }
}
