import Foundation
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

@Suite(.serialized) struct ClusterTests {
    @Test func transferIsCommittedOnEveryNodeWithOneRoot() async throws {
        let cluster = try await InProcessCluster(nodes: 4)
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        let transaction = try cluster.submit(.transfer(to: recipient, amount: 1234))
        #expect(
            try await eventually {
                try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == 1234 }
            })
        #expect(cluster.running[0].transactionStatus(transaction.id) != nil)
        let heights = cluster.running.map { $0.status.height }
        let target = heights.min()!
        let roots = try cluster.running.map { node in
            try #require(try node.ledger.receipt(height: target)).batchDigest
        }
        #expect(Set(roots).count == 1, "every node applied the same batch at height \(target)")
        await cluster.stopAll()
    }

    @Test func jobIsFinalizedAndTheWrongNodeIsSlashed() async throws {
        let cluster = try await InProcessCluster(nodes: 4, faults: [3: .wrongResult])
        let code = try cluster.upload(InProcessCluster.job("wordcount.wasm"))
        let input = try cluster.upload(InProcessCluster.job("wordcount-input.txt"))
        let spec = JobSpec(
            code: .hash(code), inputHash: input, entryPoint: "_start", fuelLimit: 1_000_000_000,
            memoryLimitPages: 256, deadlineHeights: 100)
        let transaction = try cluster.submit(.submitJob(spec: spec, fee: 9_000))
        let jobID = JobID.compute(chainID: "test-cluster", submitter: cluster.client.publicKey, nonce: transaction.nonce, spec: spec)
        let node0 = cluster.running[0]
        #expect(try await eventually(seconds: 60) { try node0.ledger.job(jobID)?.status == .settled })
        let job = try #require(try node0.ledger.job(jobID))
        let proof = try #require(try node0.ledger.resultProof(jobID: jobID))
        let set = try #require(try node0.ledger.validatorSet(epoch: job.epoch))
        try proof.verify(validatorSet: set)
        #expect(proof.agreedDigest == job.agreedDigest)
        let bond = 100_000 as UInt64
        let faulty = cluster.cluster.members[3].nodeKey
        #expect(try node0.ledger.validator(nodeKey: faulty).map { $0.bond < bond } == true, "the wrong node is slashed")
        for member in cluster.cluster.members.prefix(3) {
            #expect(try node0.ledger.validator(nodeKey: member.nodeKey)?.bond == bond, "honest bonds are untouched")
        }
        await cluster.stopAll()
    }
}
