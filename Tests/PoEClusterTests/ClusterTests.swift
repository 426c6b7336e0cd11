import Foundation
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import Testing

@Suite(.serialized) struct ClusterTests {
    @Test func transferIsCommittedOnEveryNodeWithOneRoot() async throws {
        let cluster = try await LocalCluster(nodes: 4)
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        let transaction = try cluster.submit(.transfer(to: recipient, amount: 1234))
        #expect(
            try await eventually {
                try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == 1234 }
            })
        #expect(cluster.running[0].transactionStatus(transaction.id) != nil)
        // The ledgers' heights: the balance above was read from them, and the published
        // status may not have caught up with the same commit yet.
        let heights = try cluster.running.map { try $0.ledger.height() }
        let target = heights.min()!
        #expect(target > 0)
        let roots = try cluster.running.map { node in
            try #require(try node.ledger.receipt(height: target)).batchDigest
        }
        #expect(Set(roots).count == 1, "every node applied the same batch at height \(target)")
        await cluster.shutdown()
    }

    @Test func jobIsFinalizedAndTheWrongNodeIsSlashed() async throws {
        let cluster = try await LocalCluster(nodes: 4, faults: [3: .wrongResult], chainID: "test-cluster")
        let jobID = try submitWordCount(cluster)
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
        await cluster.shutdown()
    }
}

@Suite(.serialized) struct ClusterFaultTests {
    @Test func stoppingThePrimaryLeadsToAViewChangeAndProgress() async throws {
        let cluster = try await LocalCluster(nodes: 4)
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        try cluster.submit(.transfer(to: recipient, amount: 1), via: 1)
        #expect(try await eventually { try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == 1 } })
        let primary = cluster.running[0].status.primary
        await cluster.stop(primary)
        let survivor = (primary + 1) % 4
        try cluster.submit(.transfer(to: recipient, amount: 2), via: survivor)
        #expect(
            try await eventually(seconds: 60) {
                try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == 3 }
            })
        #expect(cluster.running.allSatisfy { $0.status.view >= 1 }, "the survivors moved to a new view")
        await cluster.shutdown()
    }

    /// A node with no room for more requests says so (HTTP 503, or a `refused` status)
    /// instead of accepting a transaction that then vanishes; what it accepted commits
    /// once a quorum is back, and what it refused commits when submitted again.
    @Test func aFullNodeRefusesRequestsOutrightAndLosesNone() async throws {
        let cluster = try await LocalCluster(nodes: 4, configure: { $0.consensus.pendingRequestsMax = 8 })
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        await cluster.stop(2)
        await cluster.stop(3)
        let primary = cluster.node(0)
        var submitted: [SignedTransaction] = []
        var overloaded: [SignedTransaction] = []
        for amount in 1...20 {
            let transaction = cluster.sign(.transfer(to: recipient, amount: UInt64(amount)))
            do {
                try primary.submit(transaction)
                submitted.append(transaction)
                #expect(primary.transactionStatus(transaction.id) != nil, "pending from the moment it is accepted")
            } catch SubmitError.overloaded {
                overloaded.append(transaction)
            }
        }
        // The loop may still refuse what the API took (its published count lags by one
        // group): wait until it has seen every one, then sort them.
        func isRefused(_ transaction: SignedTransaction) -> Bool {
            if case .refused = primary.transactionStatus(transaction.id) { true } else { false }
        }
        #expect(try await eventually { overloaded.count + submitted.filter(isRefused).count == 12 })
        let accepted = submitted.filter { !isRefused($0) }
        let refused = (overloaded + submitted.filter(isRefused)).sorted { $0.nonce < $1.nonce }
        #expect(accepted.count == 8, "the primary holds its bound of pending requests, no more")
        #expect(accepted.map(\.nonce) == Array(1...8), "nothing is refused while there is room")
        // The published status follows the loop's groups; a refusal is visible within one.
        #expect(try await eventually { primary.status.pendingRequests == 8 })
        try await cluster.start(2)
        try await cluster.start(3)
        #expect(try await eventually(seconds: 60) { accepted.allSatisfy { if case .committed? = primary.transactionStatus($0.id) { true } else { false } } })
        for transaction in refused {
            // As a client does on 503: the published count of pending requests lags the
            // loop by one group of inputs, so a submit right after a commit may be early.
            #expect(try await eventually { (try? primary.submit(transaction)) != nil })
            #expect(try await eventually { if case .committed? = primary.transactionStatus(transaction.id) { true } else { false } })
        }
        let total = UInt64((1...20).reduce(0, +))
        #expect(try await eventually(seconds: 60) { try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == total } })
        await cluster.shutdown()
    }

    /// A transaction whose nonce is no longer above its account's last ordered one can
    /// never execute: the node says so at once instead of leaving it pending forever.
    @Test func aTransactionOvertakenByALaterNonceIsRefusedNotLeftPending() async throws {
        let cluster = try await LocalCluster(nodes: 4)
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        let first = cluster.sign(.transfer(to: recipient, amount: 1))
        let second = cluster.sign(.transfer(to: recipient, amount: 2))
        let node = cluster.node(1)
        try node.submit(second)
        #expect(try await eventually { if case .committed? = node.transactionStatus(second.id) { true } else { false } })
        try node.submit(first)
        #expect(try await eventually { if case .refused? = node.transactionStatus(first.id) { true } else { false } })
        #expect(try node.ledger.account(recipient)?.balance == 2, "the overtaken transfer changed nothing")
        await cluster.shutdown()
    }

    @Test func restartedNodeCatchesUpToTheSameRoot() async throws {
        // A backlog far below the frames of 40 batches, so node 3 cannot replay them
        // from its peers' queues when it returns and must fetch a checkpoint's state.
        let cluster = try await LocalCluster(nodes: 4, configure: { $0.peerBacklogFramesMax = 8 })
        let recipient = PrivateKey.deterministic(seed: "recipient").publicKey
        await cluster.stop(3)
        // Far more batches than the window, so node 3 must fetch a checkpoint's state:
        // one transfer a batch, each committed before the next is sent (sent faster, a
        // loaded machine batches them, and a node only a few batches behind is sent the
        // batches themselves, which is the STATUS path, not this test's).
        var total: UInt64 = 0
        for amount in UInt64(1)...40 {
            try cluster.submit(.transfer(to: recipient, amount: amount), via: 1)
            total += amount
            let expected = total
            #expect(try await eventually { try cluster.node(1).ledger.account(recipient)?.balance == expected })
        }
        #expect(try await eventually { try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == total } })
        try await cluster.start(3)
        try cluster.submit(.transfer(to: recipient, amount: 1000), via: 1)
        #expect(
            try await eventually(seconds: 60) {
                try cluster.running.allSatisfy { try $0.ledger.account(recipient)?.balance == total + 1000 }
            })
        let nodes = cluster.running
        #expect(
            try await eventually {
                try Set(nodes.map { try $0.ledger.height() }).count == 1 && Set(nodes.map { try $0.ledger.stateRoot() }).count == 1
            }, "every node holds the same ledger")
        #expect(nodes[3].status.stateTransfers >= 1, "node 3 fell behind a stable checkpoint and fetched its state")
        await cluster.shutdown()
    }
}

@Suite(.serialized) struct ClusterMisbehaviourTests {
    func runJob(_ cluster: LocalCluster) async throws -> Digest {
        let jobID = try submitWordCount(cluster, deadlineHeights: 20)
        #expect(try await eventually(seconds: 60) { try cluster.node(0).ledger.job(jobID)?.agreedDigest != nil })
        // Deadlines are heights, and nothing else is submitted: the primary's empty
        // batches carry a job with an absent validator to its deadline, where it settles.
        let ledger = cluster.node(0).ledger
        #expect(try await eventually(seconds: 60) { try ledger.job(jobID)?.status == .settled })
        return jobID
    }

    /// A node that signs two different attestations for one job is caught by the others,
    /// who submit the evidence: it loses the larger slash and is jailed.
    @Test func equivocatingAttesterIsProvenAndSlashedHarder() async throws {
        let cluster = try await LocalCluster(nodes: 4, faults: [3: .equivocate])
        _ = try await runJob(cluster)
        let faulty = cluster.cluster.members[3].nodeKey
        let ledger = cluster.node(0).ledger
        #expect(
            try await eventually(seconds: 30) { try ledger.validator(nodeKey: faulty)?.jailed == true },
            "evidence of the two attestations was committed")
        let bond = try #require(try ledger.validator(nodeKey: faulty)).bond
        #expect(bond <= 50_000, "the equivocation slash (50%) applied, bond now \(bond)")
        await cluster.shutdown()
    }

    /// Jobs built to take their whole fuel in host calls (stdout writes, table growth,
    /// long paths, random bytes), submitted first, do not hold up an ordinary job
    /// submitted after them: it finalizes while they still run.
    @Test func fuelHeavyJobsOfEveryHostCallKindDoNotHoldUpAnOrdinaryJob() async throws {
        let cluster = try await LocalCluster(nodes: 4)
        let fuel: UInt64 = 120_000_000
        let heavy: [(String, String)] = [
            ("hostcalls.wasm", "stdout 1\n"), ("hostcalls.wasm", "table 1\n"), ("hostcalls.wasm", "path 4096\n"),
            ("randloop.wasm", ""),
        ]
        var heavyJobs: [Digest] = []
        for (module, input) in heavy {
            heavyJobs.append(
                try submitJob(cluster, code: try exampleJob(module), input: Array(input.utf8), fuel: fuel, deadlineHeights: 200))
        }
        let ledger = cluster.node(0).ledger
        #expect(try await eventually(seconds: 30) { try heavyJobs.allSatisfy { try ledger.job($0) != nil } }, "every heavy job was ordered")
        let started = ContinuousClock.now
        let ordinary = try submitWordCount(cluster, deadlineHeights: 100)
        #expect(try await eventually(seconds: 30) { try ledger.job(ordinary)?.agreedDigest != nil })
        let waited = ContinuousClock.now - started
        let heavyDone = try heavyJobs.filter { try ledger.job($0)?.agreedDigest != nil }.count
        #expect(heavyDone < heavyJobs.count, "the ordinary job finished while heavy ones still ran (\(waited))")
        #expect(try await eventually(seconds: 240) { try heavyJobs.allSatisfy { try ledger.job($0)?.agreedDigest != nil } })
        for (job, (module, input)) in zip(heavyJobs, heavy) {
            let attested = try ledger.attestations(jobID: job).first?.signed.attestation
            #expect(attested.flatMap { try? Outcome.decode(wireBytes: $0.outcome) } == .outOfFuel, "\(module) \(input) ran to its fuel limit")
        }
        await cluster.shutdown()
    }

    /// A job waiting for a blob goes on when the blob reaches the store by another way
    /// (an upload, a job's output or log): peers' copies of a blob it already holds were
    /// ignored, and the job waited until its deadline (found by `scripts/demo`: the empty
    /// input of `forever.wasm` is also the log of every job that writes none).
    @Test func aJobWaitingForABlobRunsWhenTheBlobArrivesByAnotherWay() async throws {
        let cluster = try await LocalCluster(nodes: 4)
        await cluster.stop(0)
        let code = try exampleJob("wordcount.wasm")
        let input = Array("held elsewhere".utf8)
        for index in 1...3 { _ = try cluster.node(index).blobs.put(code) }
        let spec = JobSpec(
            code: .hash(Digest.sha256(code)), inputHash: Digest.sha256(input), entryPoint: "_start", fuelLimit: 10_000_000,
            memoryLimitPages: 1_024, deadlineHeights: 100)
        let transaction = try cluster.submit(.submitJob(spec: spec, fee: 9_000), via: 1)
        let jobID = cluster.jobID(of: transaction, spec: spec)
        let ledger = cluster.node(1).ledger
        #expect(try await eventually { try ledger.job(jobID) != nil })
        try await Task.sleep(for: .milliseconds(300))
        #expect(try ledger.attestations(jobID: jobID).isEmpty, "no node holds the input: nothing runs")
        // The input reaches the three running nodes' stores without their duties hearing of it.
        for index in 1...3 { _ = try cluster.node(index).blobs.put(input) }
        #expect(try await eventually { try ledger.job(jobID)?.agreedDigest != nil }, "the three nodes ran it and agreed")
        await cluster.shutdown()
    }

    /// A node that cannot run the chain's execution profile says so, attests nothing, and
    /// is neither paid nor slashed, while the job finalizes with the others.
    @Test func aNodeThatCannotRunTheProfileIsNeitherPaidNorSlashed() async throws {
        let cluster = try await LocalCluster(nodes: 4, configure: { $0.executionProfiles = [1: ["poe-wasm/1"]] })
        let jobID = try await runJob(cluster)
        let ledger = cluster.node(0).ledger
        #expect(try ledger.job(jobID)?.agreedDigest != nil, "the three others finalize it")
        #expect(try await eventually { cluster.node(1).status.duties.profileUnsupported == 1 }, "node 1 reports it")
        #expect(try ledger.attestations(jobID: jobID).allSatisfy { $0.signed.attestation.nodeKey != cluster.cluster.members[1].nodeKey })
        let unable = try #require(try ledger.validator(nodeKey: cluster.cluster.members[1].nodeKey))
        #expect(unable.bond == 100_000, "not slashed")
        #expect(try ledger.account(unable.account)?.balance == 1_000_000, "not paid")
        await cluster.shutdown()
    }

    /// A node that never attests is neither paid nor slashed; the job still finalizes.
    @Test func silentAttesterIsNeitherPaidNorSlashed() async throws {
        let cluster = try await LocalCluster(nodes: 4, faults: [2: .silentAttester])
        let jobID = try await runJob(cluster)
        let ledger = cluster.node(0).ledger
        #expect(try ledger.job(jobID)?.agreedDigest != nil)
        let silent = try #require(try ledger.validator(nodeKey: cluster.cluster.members[2].nodeKey))
        #expect(silent.bond == 100_000)
        let account = try #require(try ledger.account(silent.account))
        #expect(account.balance == 1_000_000, "no fee share for the absent")
        await cluster.shutdown()
    }
}
