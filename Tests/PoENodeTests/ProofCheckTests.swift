import Foundation
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode
import PoEWire
import Testing

@Suite struct ProofCheckTests {
    /// A finalized job's proof bytes, from a ledger built on the standard test genesis.
    static func proofBytes() throws -> [UInt8] {
        let backend = try FakeBackend()
        let (job, _) = try JobDriver(backend: backend).finalizedJob()
        return try #require(try backend.ledger.resultProof(jobID: job)).wireBytes
    }

    @Test func goodProofAndOutput() throws {
        let report = try ProofCheck.verify(proofBytes: try Self.proofBytes(), genesis: TestGenesis.make(), output: JobDriver.output)
        #expect(report.signers == 3)
        #expect(report.quorum == 3)
        #expect(report.setSize == 4)
        #expect(report.outputVerified)
        #expect(report.outputHash == Digest.sha256(JobDriver.output))
        #expect(report.outcome == .success(exitCode: 0), "the outcome, checked against the digest")
    }

    /// Signers that claim an outcome other than the one their digest commits to (here: out
    /// of fuel, for a digest of a clean exit) do not make a proof of that outcome.
    @Test func anOutcomeTheDigestDoesNotCommitToIsRefused() throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let job = try driver.submitJob()
        let digest = JobDriver.honestDigest(job: job)
        for node in 0..<3 {
            var lie = driver.attestation(job: job, digest: digest, node: node).attestation
            lie.outcome = Outcome.outOfFuel.wireBytes
            try backend.submit(try backend.transaction(TestKeys.node(node), .attest(lie.signed(by: TestKeys.node(node)))))
        }
        try backend.commitSubmitted()
        let proof = try #require(try backend.ledger.resultProof(jobID: job))
        #expect(throws: ProofCheckError.digestNotRecomputed(recomputed: 0, quorum: 3)) {
            try ProofCheck.verify(proofBytes: proof.wireBytes, genesis: TestGenesis.make(), output: nil)
        }
    }

    @Test func genesisSetIsTheLedgersEpochZeroSet() throws {
        let backend = try FakeBackend()
        let fromLedger = try #require(try backend.ledger.validatorSet(epoch: 0))
        #expect(try ProofCheck.genesisValidatorSet(backend.ledger.genesis) == fromLedger)
    }

    @Test func wrongOutputIsRefused() throws {
        #expect(throws: ProofCheckError.outputMismatch(
            expected: Digest.sha256(JobDriver.output), actual: Digest.sha256(Array("forged".utf8)))
        ) {
            try ProofCheck.verify(proofBytes: try Self.proofBytes(), genesis: TestGenesis.make(), output: Array("forged".utf8))
        }
    }

    @Test func tamperedProofIsRefused() throws {
        var proof = try ResultProof.decode(wireBytes: try Self.proofBytes())
        // Changing the agreed digest breaks every attestation's match.
        proof.agreedDigest = Digest.sha256("another result")
        #expect(throws: ProofCheckError.self) {
            try ProofCheck.verify(proofBytes: proof.wireBytes, genesis: TestGenesis.make(), output: nil)
        }
        // Flipping a byte of the last attestation's signature is a forged signature (or an
        // undecodable one): refused either way.
        var bytes = try Self.proofBytes()
        bytes[bytes.count - 1] ^= 0x01
        #expect(throws: ProofCheckError.self) {
            try ProofCheck.verify(proofBytes: bytes, genesis: TestGenesis.make(), output: nil)
        }
        // Dropping an attestation leaves 2 of a quorum of 3.
        var short = try ResultProof.decode(wireBytes: try Self.proofBytes())
        short.attestations.removeLast()
        #expect(throws: ProofCheckError.invalid(.tooFewAttestations(valid: 2, quorum: 3))) {
            try ProofCheck.verify(proofBytes: short.wireBytes, genesis: TestGenesis.make(), output: nil)
        }
        #expect(throws: ProofCheckError.self) {
            try ProofCheck.verify(proofBytes: Array(bytes.prefix(40)), genesis: TestGenesis.make(), output: nil)
        }
    }

    @Test func wrongGenesisIsRefused() throws {
        let bytes = try Self.proofBytes()
        #expect(throws: ProofCheckError.wrongChain(proof: TestGenesis.chainID, genesis: "other-chain")) {
            try ProofCheck.verify(proofBytes: bytes, genesis: TestGenesis.make(chainID: "other-chain"), output: nil)
        }
        // Same chain ID, other validators: the proof's set is not the trusted one.
        #expect(throws: ProofCheckError.invalid(.validatorSetMismatch)) {
            try ProofCheck.verify(proofBytes: bytes, genesis: TestGenesis.make(nodeSeed: 4), output: nil)
        }
    }
}
