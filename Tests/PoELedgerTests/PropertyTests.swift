import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

/// Random transaction sequences, each from a printed seed. After every batch: tokens are
/// conserved, no balance exceeds the supply (no wrap-around below zero), anchors are
/// write-once and always the true digest, honest validators are never slashed, nonces
/// advance exactly as the rules say. At the end: a second ledger fed the same batches, and
/// a third restored from a mid-way snapshot, have the same root; every proof verifies.
@Suite struct PropertyTests {
    static let sequenceCount = 300
    static let batchesPerSequence = 14

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What the sequences exercised, so a generator that drifts into doing nothing fails.
    struct Coverage {
        var rejections = Set<RejectionKind>()
        var statuses: [JobStatus: Int] = [:]
        var evidence = 0
        var joinedLater = 0
    }

    @Test func randomSequencesKeepTheInvariants() throws {
        var failures: [String] = []
        var coverage = Coverage()
        for index in 0..<PropertyTests.sequenceCount {
            let seed = 0x5EED_0000 + UInt64(index)
            do {
                try runSequence(seed: seed, coverage: &coverage)
            } catch {
                failures.append("SEED=\(seed): \(error)")
                if failures.count >= 3 { break }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let expected: Set<RejectionKind> = [
            .badSignature, .badNonce, .malformedBody, .insufficientFunds, .invalidAmount, .belowMinimumStake,
            .nodeKeyTaken, .notAValidator, .jailed, .nothingToWithdraw, .unbondingNotReleased, .codeNameTaken,
            .invalidCodeName, .unknownCode, .invalidJobSpec, .unknownJob, .jobSettled, .wrongChain, .notInValidatorSet,
            .duplicateAttestation, .invalidEvidence, .evidenceAlreadyUsed,
        ]
        #expect(expected.subtracting(coverage.rejections).isEmpty, "never produced: \(expected.subtracting(coverage.rejections))")
        for status in JobStatus.allCases { #expect((coverage.statuses[status] ?? 0) > 0, "no job ended \(status)") }
        #expect(coverage.evidence > 0)
        #expect(coverage.joinedLater > 0, "no validator joined in a later epoch")
    }

    private func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Failure(description: message()) }
    }

    private func runSequence(seed: UInt64, coverage: inout Coverage) throws {
        var model = RandomSequenceModel(seed: seed)
        let ledger = try Ledger.open(path: nil, genesis: model.genesis)
        let twin = try Ledger.open(path: nil, genesis: model.genesis)
        let minted = model.genesis.mintedSupply
        var anchors: [Digest: AnchorEntry] = [:]
        var honestStake: [PublicKey: UInt64] = [:]
        var restored: Ledger?
        let restoreAt = UInt64(1 + model.rng.below(PropertyTests.batchesPerSequence - 1))

        for height in 1...UInt64(PropertyTests.batchesPerSequence) {
            let batch = model.batch(height: height)
            let receipt = try ledger.apply(batch: batch)
            try check(receipt.results.count == batch.transactions.count, "one result per transaction")
            try check(try twin.apply(batch: batch) == receipt, "height \(height): twin produced another receipt")
            if let restored { try check(try restored.apply(batch: batch) == receipt, "height \(height): restored ledger diverged") }
            model.learn(receipt)
            for result in receipt.results { if let rejection = result.rejection { coverage.rejections.insert(rejection.kind) } }
            if height % 5 == 0 {
                let root = try ledger.stateRoot()
                try check(try ledger.apply(batch: batch) == receipt, "re-applying height \(height) changed the receipt")
                try check(try ledger.stateRoot() == root, "re-applying height \(height) changed the state")
            }
            let snapshot = try ledger.snapshot()
            try checkInvariants(snapshot, minted: minted, model: model, anchors: &anchors, honestStake: &honestStake)
            if height == restoreAt {
                restored = try Ledger.restore(path: nil, genesis: model.genesis, from: snapshot, expectedRoot: snapshot.stateRoot)
            }
        }
        let root = try ledger.stateRoot()
        try check(try twin.stateRoot() == root, "two ledgers fed the same batches have different roots")
        try check(try restored?.stateRoot() == root, "the ledger restored from a snapshot has another root")
        try checkProofs(ledger, anchors: anchors)
        let final = try ledger.snapshot()
        for job in final.jobs { coverage.statuses[job.status, default: 0] += 1 }
        coverage.evidence += final.evidence.count
        coverage.joinedLater += final.epochMembers.filter { $0.epoch > 0 && $0.nodeKey == Keys.node(4).publicKey }.count
    }

    private func checkInvariants(
        _ snapshot: LedgerSnapshot, minted: UInt64, model: RandomSequenceModel, anchors: inout [Digest: AnchorEntry],
        honestStake: inout [PublicKey: UInt64]
    ) throws {
        let height = snapshot.meta.height
        try check(snapshot.meta.minted == minted, "minted changed")
        try check(snapshot.accountedSupply == minted, "height \(height): supply \(snapshot.accountedSupply) != minted \(minted)")
        for account in snapshot.accounts {
            try check(account.balance <= minted, "height \(height): balance \(account.balance) over the supply")
            try check(account.nonce == (model.nonces[account.key] ?? 0), "height \(height): nonce of \(account.key.short) is \(account.nonce)")
        }
        for (key, nonce) in model.nonces where nonce > 0 {
            try check(snapshot.accounts.contains { $0.key == key }, "height \(height): account \(key.short) with a consumed nonce is missing")
        }
        let current = Dictionary(uniqueKeysWithValues: snapshot.anchors.map { ($0.jobID, $0) })
        for (jobID, anchor) in anchors {
            try check(current[jobID] == anchor, "height \(height): anchor of \(jobID.short) changed or vanished")
        }
        for anchor in snapshot.anchors {
            try check(anchor.digest == RandomSequenceModel.truth(anchor.jobID), "height \(height): a lie was anchored")
            anchors[anchor.jobID] = anchor
        }
        for job in snapshot.jobs {
            switch job.status {
            case .pending, .finalized: try check(job.escrow == job.fee, "unsettled job escrow")
            case .settled, .failed: try check(job.escrow == 0, "settled job keeps escrow")
            }
            try check((job.status == .finalized || job.status == .settled) == (current[job.id] != nil), "anchor iff finalized")
        }
        let honest = Set(RandomSequenceModel.honestNodes.map { Keys.node($0).publicKey })
        for validator in snapshot.validators where honest.contains(validator.nodeKey) {
            let stake = validator.bond + validator.unbonding
            try check(stake >= (honestStake[validator.nodeKey] ?? 0), "height \(height): honest validator \(validator.nodeKey.short) was slashed")
            try check(!validator.jailed, "honest validator jailed")
            honestStake[validator.nodeKey] = stake
        }
    }

    private func checkProofs(_ ledger: Ledger, anchors: [Digest: AnchorEntry]) throws {
        for jobID in anchors.keys.sorted() {
            let proof = try ledger.resultProof(jobID: jobID)
            guard let proof, let set = try ledger.validatorSet(epoch: proof.validatorSet.epoch) else {
                throw Failure(description: "anchored job \(jobID.short) has no proof")
            }
            do { try proof.verify(validatorSet: set) } catch { throw Failure(description: "proof of \(jobID.short): \(error)") }
            var short = proof
            short.attestations = Array(proof.attestations.prefix(set.quorum - 1))
            try check((try? short.verify(validatorSet: set)) == nil, "a proof below quorum verified")
        }
    }
}
