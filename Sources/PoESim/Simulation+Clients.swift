import PBFT
import PoECrypto
import PoELedger
import PoENodeCore

/// A submitter: one operation at a time (a transfer or a job), resubmitted to some node
/// until f+1 honest nodes have ordered it (and, for a job, anchored its result).
struct SimClient {
    let key: PrivateKey
    var done = 0
    var nonce: UInt64 = 0
    var current: SimOperation?
    var generation = 0
}

struct SimOperation {
    let transaction: SignedTransaction
    let id: Digest
    let jobID: Digest?
    /// Honest nodes that applied the transaction, and that anchored the job's result.
    var orderedBy: Set<Int> = []
    var anchoredBy: Set<Int> = []
    var ordered = false
}

extension Simulation {
    var clientsUnfinished: Int { clients.filter { $0.done < options.requestsPerClient }.count }

    var unfinishedWork: String {
        clients.enumerated().compactMap { index, client -> String? in
            guard let operation = client.current else { return nil }
            let what = operation.jobID.map { "job \($0.short)" } ?? "transfer"
            return "client \(index) \(what) ordered by \(operation.orderedBy.sorted()) anchored by \(operation.anchoredBy.sorted())"
        }.joined(separator: "; ")
    }

    var operationsDone: Int { clients.reduce(0) { $0 + $1.done } }

    func clientTimer(_ index: Int, generation: Int) {
        guard clients[index].generation == generation else { return }
        if clients[index].current == nil {
            guard clients[index].done < options.requestsPerClient else { return }
            guard let operation = nextOperation(index) else {
                queue.push(.clientTimer(index, generation: generation), at: now + 50)
                return
            }
            clients[index].current = operation
        }
        guard let operation = clients[index].current else { return }
        let request = ClientRequest(
            client: operation.transaction.sender, timestamp: operation.transaction.nonce,
            operation: operation.transaction.body, signature: operation.transaction.signature)
        if !healed && rng.chance(perMillion: 100_000) { sendForged(request) }
        let live = nodes.indices.filter { nodes[$0].core != nil }
        if !live.isEmpty {
            let target = live[rng.below(live.count)]
            // A censoring node drops client 0's requests, from the client as from peers.
            if !(index == 0 && nodes[target].behaviour == .censor) { handle(target, .client(request)) }
        }
        queue.push(.clientTimer(index, generation: generation), at: now + 500)
    }

    /// The client's next transfer or job; a job's code and input are first uploaded to
    /// one running honest node (the others fetch them from it or from each other).
    private func nextOperation(_ index: Int) -> SimOperation? {
        let key = clients[index].key
        let step = clients[index].done
        let nonce = clients[index].nonce + 1
        let body: TransactionBody
        var jobID: Digest?
        if step % 3 == 1 {
            let uploadTargets = nodes.indices.filter { nodes[$0].honest && nodes[$0].core != nil }
            guard !uploadTargets.isEmpty else { return nil }
            let disk = nodes[uploadTargets[rng.below(uploadTargets.count)]].disk
            let code = try? disk.blobs.store(Array("sim code of client \(index), job \(step)".utf8))
            let input = try? disk.blobs.store(Array("sim input \(rng.next())".utf8))
            guard let code, let input else { return nil }
            let spec = JobSpec(
                code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: 1_000, memoryLimitPages: 16,
                deadlineHeights: 5_000)
            body = .submitJob(spec: spec, fee: 700)
            jobID = JobID.compute(chainID: genesis.chainID, submitter: key.publicKey, nonce: nonce, spec: spec)
        } else {
            let to = clients[(index + 1) % clients.count].key.publicKey
            body = .transfer(to: to, amount: 1 + rng.inRange(0...99))
        }
        clients[index].nonce = nonce
        let transaction = SignedTransaction.make(signer: key, nonce: nonce, body: body)
        return SimOperation(transaction: transaction, id: transaction.id, jobID: jobID)
    }

    /// A forged request: this client's key, another nonce, a signature that does not match.
    private func sendForged(_ request: ClientRequest) {
        let forged = ClientRequest(
            client: request.client, timestamp: request.timestamp + 1_000, operation: request.operation,
            signature: request.signature)
        let source = rng.below(nodes.count)
        for target in nodes.indices where target != source { send(.request(forged), from: source, to: target) }
    }

    /// Follows the clients' operations through a batch an honest node applied.
    func noteApplied(_ index: Int, _ receipt: BatchReceipt) {
        for client in clients.indices {
            guard var operation = clients[client].current else { continue }
            if receipt.results.contains(where: { $0.transactionID == operation.id }) { operation.orderedBy.insert(index) }
            if let jobID = operation.jobID, operation.ordered, !operation.anchoredBy.contains(index),
                let anchor = (try? nodes[index].disk.ledger.anchor(jobID: jobID)) ?? nil,
                let job = (try? nodes[index].disk.ledger.job(jobID)) ?? nil
            {
                operation.anchoredBy.insert(index)
                checks.anchorSeen(anchor, job: job, node: index)
            }
            if !operation.ordered && operation.orderedBy.count >= weak {
                operation.ordered = true
                checks.acknowledged(operation.id, height: receipt.height)
            }
            clients[client].current = operation
            if operation.ordered && (operation.jobID == nil || operation.anchoredBy.count >= weak) { complete(client) }
        }
    }

    private func complete(_ client: Int) {
        clients[client].done += 1
        clients[client].current = nil
        clients[client].generation += 1
        queue.push(.clientTimer(client, generation: clients[client].generation), at: now + 1)
    }
}
