import PBFT
import PoECrypto

/// Requests of this node's clients: resent until executed, refused once overtaken.
extension Duties {
    mutating func track(_ request: ClientRequest) {
        guard ownRequests[request.key] == nil else { return }
        guard ownRequests.count < settings.ownRequestsMax else {
            counters.ownRequestsUntracked += 1
            return
        }
        ownRequests[request.key] = OwnRequest(request: request, sentTick: ticks)
    }

    /// Executed requests are done. A waiting one of the same client with a lower nonce, or
    /// a different one with the same nonce (a client that signed two transactions with one
    /// nonce), can never execute (PBFT's timestamp rule), so its client is told to sign it
    /// again rather than left reading "pending" for ever.
    mutating func settleOwnRequests(executed: [ClientRequest]) {
        for request in executed where request.client == nodeKey { ownNonce = max(ownNonce, request.timestamp) }
        guard !ownRequests.isEmpty else { return }
        var highest: [PublicKey: UInt64] = [:]
        for request in executed {
            if let own = ownRequests[request.key], own.request != request {
                refuse(request.key, reason: "another transaction of this account with nonce \(request.timestamp) was ordered first; "
                    + "sign it again with a higher nonce")
            }
            ownRequests[request.key] = nil
            highest[request.client] = max(highest[request.client] ?? 0, request.timestamp)
        }
        for key in sortedOwnRequestKeys() {
            if let top = highest[key.client], key.timestamp < top { refuse(key) }
        }
    }

    /// After a state install: the table says which requests executed in the heights this
    /// node skipped; one whose client moved past it without it was overtaken.
    mutating func settleOwnRequests(against table: ClientTable) {
        for key in sortedOwnRequestKeys() where !table.isFresh(key) {
            if table.entries[key.client]?.timestamp == key.timestamp {
                ownRequests[key] = nil
            } else {
                refuse(key)
            }
        }
    }

    mutating func refuse(
        _ key: RequestKey, reason: String = "a later nonce of this account was ordered first; sign it again with a higher nonce"
    ) {
        guard let own = ownRequests.removeValue(forKey: key) else { return }
        counters.requestsRefused += 1
        actions.append(.refuse(own.request, reason: reason))
    }

    mutating func onTick() {
        ticks += 1
        guard ticks % settings.retryTicks == 0 else { return }
        retryJobs()
        for key in sortedOwnRequestKeys() {
            guard let own = ownRequests[key], ticks - own.sentTick >= settings.requestResendTicks else { continue }
            ownRequests[key]?.sentTick = ticks
            counters.requestsResent += 1
            actions.append(.resend(own.request))
        }
    }

    func sortedOwnRequestKeys() -> [RequestKey] {
        ownRequests.keys.sorted { ($0.client, $0.timestamp) < ($1.client, $1.timestamp) }
    }
}
