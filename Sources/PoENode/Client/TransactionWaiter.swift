public import PoELedger

/// How following a transaction ended, as `poe transfer --wait` and the staking commands
/// report it.
public enum TransactionOutcome: Sendable, Equatable {
    case committed(height: UInt64)
    case rejected(height: UInt64, reason: String)
    /// Never ordered: nothing changed and it can be sent again.
    case refused(reason: String)
    /// The account's nonce is at or past the transaction's, yet the node holds no fate for
    /// it: a node that caught up by state transfer holds no receipt of the heights it
    /// skipped (`docs/PROTOCOL.md`). The nonce is spent, by this transaction or by another
    /// of the account signed with the same nonce; another node that executed that height
    /// can tell which.
    case spentElsewhere(accountNonce: UInt64)
    case timedOut(seconds: Int, lastState: String)

    public var isCommitted: Bool {
        if case .committed = self { return true }
        return false
    }

    /// One line for the terminal.
    public func line(transactionID: String, nonce: UInt64) -> String {
        switch self {
        case .committed(let height): return "committed at height \(height)"
        case .rejected(let height, let reason): return "rejected at height \(height): \(reason)"
        case .refused(let reason): return "refused, never ordered: \(reason)"
        case .spentElsewhere(let accountNonce):
            return "nonce \(nonce) is spent (the account's last ordered nonce is \(accountNonce)), but this node holds no "
                + "receipt for it: it skipped that height by state transfer. Ask another validator for "
                + "GET /transactions/\(transactionID) to see whether this transaction or another with nonce \(nonce) took it"
        case .timedOut(let seconds, let lastState): return "timed out after \(seconds) s; last state: \(lastState)"
        }
    }
}

/// Follows a transaction until its fate is known, polling one node.
///
/// Not seen and unreachable are not ends: a node restarting answers neither for a while.
/// A transaction read as pending while its account's nonce is already at or past its own
/// is one the node skipped by state transfer; that is concluded only when two account
/// reads a second apart agree with a pending status between them, since for a moment
/// after each batch the ledger's nonce is ahead of the node's published statuses.
public struct TransactionWaiter: Sendable {
    public let client: NodeClient
    public let transaction: SignedTransaction
    public let timeoutSeconds: Int
    public var pollMilliseconds = 200
    /// Polls between two reads of the account while the transaction stays pending.
    public var pollsPerAccountRead = 5

    public init(client: NodeClient, transaction: SignedTransaction, timeoutSeconds: Int) {
        self.client = client
        self.transaction = transaction
        self.timeoutSeconds = timeoutSeconds
    }

    public func run() async throws(NodeClientError) -> TransactionOutcome {
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        var last = "pending"
        var polls = 0
        var spentSightings = 0
        while ContinuousClock.now < deadline {
            polls += 1
            do {
                let status = try await client.transactionStatus(transaction.id)
                last = status.status
                switch status.status {
                case "committed": return .committed(height: status.height ?? 0)
                case "rejected": return .rejected(height: status.height ?? 0, reason: status.reason ?? "")
                case "refused": return .refused(reason: status.reason ?? "")
                default: break
                }
            } catch where error.isNotFound || error.isUnreachable {
                last = error.isNotFound ? "not seen by the node" : "the node unreachable"
            }
            if last != "the node unreachable", polls % pollsPerAccountRead == 0 {
                let account: AccountResponse?
                do { account = try await client.account(transaction.sender) } catch where error.isUnreachable || error.isNotFound {
                    account = nil
                }
                if let account, account.nonce >= transaction.nonce {
                    spentSightings += 1
                    if spentSightings >= 2 { return .spentElsewhere(accountNonce: account.nonce) }
                } else {
                    spentSightings = 0
                }
            }
            try? await Task.sleep(for: .milliseconds(pollMilliseconds))
        }
        return .timedOut(seconds: timeoutSeconds, lastState: last)
    }
}
