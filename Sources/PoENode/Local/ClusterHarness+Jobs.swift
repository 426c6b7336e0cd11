public import PoENodeCore
import Foundation
import PoECrypto
import PoELedger

extension ClusterHarness {
    struct Submitted {
        var job: HarnessJob
        var jobID: Digest
        var at: ContinuousClock.Instant
    }

    /// Uploads each job's code and input to the first node only (the others fetch the
    /// blobs from their peers) and submits it, signed by the testnet's client key.
    /// The harness's usual deadline, or the shortest one the genesis fuel rate allows
    /// for `fuel`, whichever is longer.
    func deadline(fuel: UInt64) -> UInt64 {
        let perHeight = genesis.parameters.jobFuelPerHeightMax
        return max(ClusterHarness.deadlineHeights, (fuel + perHeight - 1) / perHeight)
    }

    func submitJobs() async throws -> [Submitted] {
        let entry = clients[0]
        var nonce = try await entry.account(client.publicKey).nonce
        var submitted: [Submitted] = []
        for job in options.jobs {
            let code = try await entry.uploadBlob(job.code, signedBy: client)
            let input = try await entry.uploadBlob(job.input, signedBy: client)
            let spec = JobSpec(
                code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: job.fuelLimit,
                memoryLimitPages: 1_024, deadlineHeights: deadline(fuel: job.fuelLimit))
            nonce += 1
            let transaction = SignedTransaction.make(signer: client, nonce: nonce, body: .submitJob(spec: spec, fee: 10_000))
            let at = ContinuousClock.now
            _ = try await entry.submit(transaction)
            let jobID = JobID.compute(chainID: genesis.chainID, submitter: client.publicKey, nonce: nonce, spec: spec)
            print("== submitted \(job.name): job \(jobID.short), fee 10000, fuel limit \(job.fuelLimit)")
            submitted.append(Submitted(job: job, jobID: jobID, at: at))
        }
        return submitted
    }

    /// Polls until every job is settled or failed, drawing the live table.
    func follow(_ submitted: [Submitted]) async throws -> [Digest: Double] {
        var finalizedAt: [Digest: Double] = [:]
        var lastPrint = ContinuousClock.now - .seconds(10)
        try await waitUntil("for the jobs to settle", seconds: options.timeoutSeconds) {
            var statuses: [NodeStatus?] = []
            for (index, client) in clients.enumerated() {
                statuses.append(processes.isRunning(index) ? try? await client.status() : nil)
            }
            var jobs: [JobResponse?] = []
            for entry in submitted { jobs.append(try? await anyClient().job(entry.jobID)) }
            for (entry, job) in zip(submitted, jobs) where job?.agreedDigest != nil && finalizedAt[entry.jobID] == nil {
                finalizedAt[entry.jobID] = milliseconds(ContinuousClock.now - entry.at)
            }
            if options.redraw || ContinuousClock.now - lastPrint > .seconds(2) {
                lastPrint = ContinuousClock.now
                drawTable(statuses: statuses, submitted: submitted, jobs: jobs)
            }
            // Jobs settle at their deadline height; the primary's empty batches bring it
            // while the chain is otherwise idle.
            return jobs.allSatisfy { $0?.status == "settled" || $0?.status == "failed" }
        }
        return finalizedAt
    }

    private func drawTable(statuses: [NodeStatus?], submitted: [Submitted], jobs: [JobResponse?]) {
        var lines: [String] = []
        lines.append("node    fault           height  view  primary  peers  checkpoint  state")
        for (index, member) in processes.cluster.members.enumerated() {
            let fault = options.faults[index]?.rawValue ?? "-"
            guard let status = statuses[index] else {
                lines.append(pad(member.name, 8) + pad(fault, 16) + "down")
                continue
            }
            let state = status.catchingUp ? "catching up" : (status.viewChanging ? "view change" : "normal")
            lines.append(
                pad(member.name, 8) + pad(fault, 16) + pad("\(status.height)", 8) + pad("\(status.view)", 6)
                    + pad("node\(status.primary)", 9) + pad("\(status.peersConnected)", 7)
                    + pad("\(status.stableCheckpoint)", 12) + state)
        }
        lines.append("job        status     attestations  agreed digest")
        for (entry, job) in zip(submitted, jobs) {
            let count = job.map { "\($0.attestations.count)/\($0.validatorCount)" } ?? "-"
            let digest = job?.agreedDigest.map { String($0.prefix(16)) } ?? "-"
            lines.append(pad(entry.job.name, 11) + pad(job?.status ?? "pending", 11) + pad(count, 14) + digest)
        }
        if options.redraw {
            print("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n"))
        } else {
            print(lines.joined(separator: "\n") + "\n")
        }
    }

    /// Fetches each job's proof and output from a node and checks them offline against
    /// genesis, as a submitter would.
    func checkProofs(_ submitted: [Submitted], finalized: [Digest: Double]) async throws -> [HarnessJobReport] {
        var reports: [HarnessJobReport] = []
        for entry in submitted {
            let client = anyClient()
            let job = try await client.job(entry.jobID)
            var report = HarnessJobReport(
                name: entry.job.name, jobID: entry.jobID, status: job.status, agreedDigest: job.agreedDigest,
                finalizedAfterMs: finalized[entry.jobID], attestations: job.attestations.count, proofVerified: false,
                proofProblem: nil, outputPreview: "")
            if job.agreedDigest != nil {
                do {
                    let proof = try await client.proofBytes(entry.jobID)
                    let output = try await client.output(entry.jobID)
                    _ = try ProofCheck.verify(proofBytes: proof, genesis: genesis, output: output)
                    report.proofVerified = true
                    report.outputPreview = preview(output)
                } catch {
                    report.proofProblem = "\(error)"
                }
            }
            reports.append(report)
        }
        return reports
    }

    /// Pushes small transfers, one batch each, so that the chain crosses a checkpoint:
    /// a node that lost messages while it was down (a restarted one) fetches the state
    /// there and reaches the others' height. Then compares the honest nodes' ledger
    /// roots at their last checkpoint, which is the same one once they share a height.
    func settleAndCompareRoots() async throws -> (agree: Bool, statuses: [NodeStatus]) {
        let entry = anyClient()
        var nonce = try await entry.account(client.publicKey).nonce
        for _ in 0..<ConsensusTuning().checkpointInterval {
            nonce += 1
            let id = try await entry.submit(
                SignedTransaction.make(signer: client, nonce: nonce, body: .transfer(to: client.publicKey, amount: 1)))
            try await waitUntil("for a transfer to commit", seconds: 60) {
                (try? await entry.transactionStatus(id))?.status == "committed"
            }
        }
        var statuses: [NodeStatus] = []
        try await waitUntil("for every node to reach one height", seconds: 120) {
            statuses = []
            for client in clients { if let status = try? await client.status() { statuses.append(status) } }
            return statuses.count == clients.count && Set(statuses.map(\.height)).count == 1
        }
        // Each root is the one at the node's last checkpoint: compare them with their heights.
        let honest = statuses.enumerated().filter { options.faults[$0.offset] == nil }.map(\.element)
        return (Set(honest.map { "\($0.stateRootHeight):\($0.stateRoot)" }).count == 1, statuses)
    }

    func validatorBalances() async throws -> [(bond: UInt64, balance: UInt64)] {
        let client = anyClient()
        var result: [(bond: UInt64, balance: UInt64)] = []
        for validator in genesis.validators {
            let account = try await client.account(validator.account)
            result.append((account.validator?.bond ?? 0, account.balance))
        }
        return result
    }

    private func preview(_ output: [UInt8]) -> String {
        let text = String(decoding: output.prefix(120), as: UTF8.self)
        return text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
