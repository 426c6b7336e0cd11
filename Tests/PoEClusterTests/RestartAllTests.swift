import Foundation
import PoECrypto
import PoELedger
import PoENode
import PoENodeCore
import Testing

/// A power cut: every node of a cluster stopped at once, past a stable checkpoint, then
/// started again — twice in a row. Real processes over real TCP.
@Suite(.serialized) struct RestartAllTests {
    enum Stop: String, CaseIterable, Sendable {
        case kill9
        case sigterm
    }

    @Test(arguments: Stop.allCases)
    func everyNodeStoppedAtOnceMovesAgainAndKeepsOneRoot(stop: Stop) async throws {
        let chainID = "e2e-restart-all-\(stop.rawValue)"
        let (processes, clients) = try await startLinked(chainID: chainID)
        let client = try KeyFile.read(from: processes.cluster.clientKey)
        var nonce: UInt64 = 0
        for round in 1...2 {
            // Past a stable checkpoint (every 16 heights by default), so that a restarted
            // replica must recover that checkpoint's state before it can execute.
            let target = try await clients[0].status().height + 20
            while try await clients[0].status().height < target {
                nonce += 1
                try await commitTransfer(clients[0], client, nonce: nonce)
            }
            try #require(
                try await eventually(seconds: 60) { try await allStable(clients, atLeast: target - 16) },
                "round \(round): the checkpoint never became stable")

            switch stop {
            case .kill9: for index in 0..<processes.count { processes.kill(index) }
            case .sigterm:
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<processes.count { group.addTask { await processes.stop(index) } }
                }
            }
            try processes.startAll()

            let started = ContinuousClock.now
            nonce += 1
            let jobID = try await submitJob(clients[round % clients.count], client, nonce: nonce, chainID: chainID)
            let finalized = try await eventually(seconds: 20) { (try? await clients[0].job(jobID))?.agreedDigest != nil }
            #expect(finalized, "round \(round): a new job did not finalize within 20 s of the restart (\(stop.rawValue))")
            print("round \(round) (\(stop.rawValue)): job finalized \(ContinuousClock.now - started) after the restart")
            let everyoneAttested = try await eventually(seconds: 20) {
                (try? await clients[0].job(jobID))?.attestations.count == processes.count
            }
            #expect(everyoneAttested, "round \(round): not every node attested the job")
            // Cross one more checkpoint, then every node holds the same root at it.
            for _ in 0..<16 {
                nonce += 1
                try await commitTransfer(clients[0], client, nonce: nonce)
            }
            let agreed = try await eventually(seconds: 60) {
                let all = try await statuses(clients)
                return Set(all.map(\.height)).count == 1 && Set(all.map { "\($0.stateRootHeight):\($0.stateRoot)" }).count == 1
            }
            let seen = try await statuses(clients).map { "\($0.height)/\($0.stateRootHeight)/\($0.stateRoot.prefix(12))" }
            #expect(agreed, "round \(round): the nodes do not hold one root: \(seen)")
        }
        await processes.stopAll()
        try? FileManager.default.removeItem(at: processes.folder)
    }

    func commitTransfer(_ node: NodeClient, _ client: PrivateKey, nonce: UInt64) async throws {
        let id = try await node.submit(
            SignedTransaction.make(signer: client, nonce: nonce, body: .transfer(to: client.publicKey, amount: 1)))
        try #require(try await eventually(seconds: 30) { (try? await node.transactionStatus(id))?.status == "committed" })
    }

    func submitJob(_ node: NodeClient, _ client: PrivateKey, nonce: UInt64, chainID: String) async throws -> Digest {
        let code = try await node.uploadBlob(exampleJob("wordcount.wasm"), signedBy: client)
        let input = try await node.uploadBlob(exampleJob("wordcount-input.txt"), signedBy: client)
        let spec = JobSpec(
            code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: 1_000_000_000, memoryLimitPages: 256,
            deadlineHeights: 1_000)
        _ = try await node.submit(SignedTransaction.make(signer: client, nonce: nonce, body: .submitJob(spec: spec, fee: 400)))
        return JobID.compute(chainID: chainID, submitter: client.publicKey, nonce: nonce, spec: spec)
    }

    func statuses(_ clients: [NodeClient]) async throws -> [NodeStatus] {
        var result: [NodeStatus] = []
        for client in clients { result.append(try await client.status()) }
        return result
    }

    func allStable(_ clients: [NodeClient], atLeast sequence: UInt64) async throws -> Bool {
        try await statuses(clients).allSatisfy { $0.stableCheckpoint >= sequence }
    }
}
