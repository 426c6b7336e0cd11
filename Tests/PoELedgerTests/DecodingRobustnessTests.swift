import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

/// Mutated and random bytes never trap a decoder: each ends in a value or a `WireError`.
@Suite struct DecodingRobustnessTests {
    private func mutations(of bytes: [UInt8], rng: inout SplitMix64, count: Int) -> [[UInt8]] {
        (0..<count).map { _ in
            var copy = bytes
            switch rng.below(4) {
            case 0: if !copy.isEmpty { copy[rng.below(copy.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1: copy = Array(copy.prefix(rng.below(copy.count + 1)))
            case 2: copy.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.below(copy.count + 1))
            default: copy = (0..<rng.below(300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            return copy
        }
    }

    @Test func mutatedEncodingsDecodeOrThrow() throws {
        var rng = SplitMix64(seed: 0xDEC0DE)
        let driver = try Driver()
        let job = try driver.submitJob(spec: Fixtures.spec(code: .name("x")).with(code: .hash(Digest.sha256("c"))))
        for node in 0..<3 { try driver.attest(job: job, digest: Digest.sha256("r"), node: node) }
        let proof = try #require(try driver.ledger.resultProof(jobID: job))
        let snapshot = try driver.ledger.snapshot()
        let body = TransactionBody.submitJob(spec: Fixtures.spec(code: .name("n")), fee: 3)
        let batch = Batch(height: 9, transactions: [driver.transaction(Keys.account(0), body)])
        var decoded = 0
        for bytes in mutations(of: body.wireBytes, rng: &rng, count: 3_000) {
            if (try? TransactionBody.decode(wireBytes: bytes)) != nil { decoded += 1 }
        }
        for bytes in mutations(of: batch.wireBytes, rng: &rng, count: 1_000) { _ = try? Batch.decode(wireBytes: bytes) }
        for bytes in mutations(of: proof.wireBytes, rng: &rng, count: 1_000) {
            // A decoded proof is verified too: still an error, never a trap.
            if let mutated = try? ResultProof.decode(wireBytes: bytes), let set = try driver.ledger.validatorSet(epoch: 0) {
                _ = try? mutated.verify(validatorSet: set)
            }
        }
        for bytes in mutations(of: snapshot.wireBytes, rng: &rng, count: 300) { _ = try? LedgerSnapshot.decode(wireBytes: bytes) }
        for bytes in mutations(of: BatchReceipt(height: 1, batchDigest: .zero, results: [], settledJobs: []).wireBytes, rng: &rng, count: 300) {
            _ = try? BatchReceipt.decode(wireBytes: bytes)
        }
        #expect(decoded > 0, "some mutations should still decode (the checks ran on real values)")
    }

    @Test func randomBodiesInSignedTransactionsAreFailedNotFatal() throws {
        var rng = SplitMix64(seed: 0xB0D1)
        let driver = try Driver()
        let signer = Keys.account(0)
        var transactions: [SignedTransaction] = []
        let valid = TransactionBody.transfer(to: Keys.account(1).publicKey, amount: 1).wireBytes
        for (index, body) in mutations(of: valid, rng: &rng, count: 200).enumerated() {
            let nonce = UInt64(index + 1)
            let message = SignedTransaction.signedBytes(sender: signer.publicKey, nonce: nonce, body: body)
            transactions.append(SignedTransaction(sender: signer.publicKey, nonce: nonce, body: body, signature: signer.sign(message, domain: .transaction)))
        }
        let receipt = try driver.apply(transactions)
        #expect(receipt.results.count == 200)
        #expect(try driver.ledger.account(signer.publicKey)?.nonce == 200)
        #expect(try driver.ledger.snapshot().accountedSupply == Fixtures.genesis().mintedSupply)
    }
}

extension JobSpec {
    func with(code: CodeReference) -> JobSpec {
        var copy = self
        copy.code = code
        return copy
    }
}
