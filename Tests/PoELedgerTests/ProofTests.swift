import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

@Suite struct ProofTests {
    let digest = Digest.sha256("agreed")

    private func finalizedProof() throws -> (ResultProof, ValidatorSet) {
        let driver = try Driver()
        let job = try driver.submitJob()
        for node in 0..<3 { try driver.attest(job: job, digest: digest, node: node) }
        let proof = try #require(try driver.ledger.resultProof(jobID: job))
        let set = try #require(try driver.ledger.validatorSet(epoch: 0))
        return (proof, set)
    }

    @Test func aLedgerProofVerifiesOfflineAfterARoundTrip() throws {
        let (proof, set) = try finalizedProof()
        #expect(proof.attestations.count == 3)
        let decoded = try ResultProof.decode(wireBytes: proof.wireBytes)
        #expect(decoded == proof)
        try decoded.verify(validatorSet: try ValidatorSet.decode(wireBytes: set.wireBytes))
    }

    @Test func tooFewSignaturesAreRejected() throws {
        var (proof, set) = try finalizedProof()
        proof.attestations.removeLast()
        #expect(throws: ProofError.tooFewAttestations(valid: 2, quorum: 3)) { try proof.verify(validatorSet: set) }
    }

    @Test func duplicateSignaturesAreRejected() throws {
        var (proof, set) = try finalizedProof()
        proof.attestations.removeLast()
        proof.attestations.append(proof.attestations[0])
        #expect(throws: ProofError.duplicateSigner(nodeKey: proof.attestations[0].attestation.nodeKey.hex)) {
            try proof.verify(validatorSet: set)
        }
    }

    @Test func foreignSignaturesAreRejected() throws {
        var (proof, set) = try finalizedProof()
        proof.attestations.removeLast()
        proof.attestations.append(Fixtures.attestation(job: proof.jobID, digest: digest, node: 9))
        #expect(throws: ProofError.foreignSigner(nodeKey: Keys.node(9).publicKey.hex)) { try proof.verify(validatorSet: set) }
    }

    @Test func forgedSignaturesAreRejected() throws {
        var (proof, set) = try finalizedProof()
        var bytes = proof.attestations[2].signature.bytes
        bytes[10] ^= 1
        proof.attestations[2].signature = try Signature(bytes: bytes)
        let key = proof.attestations[2].attestation.nodeKey.hex
        #expect(throws: ProofError.forgedSignature(nodeKey: key)) { try proof.verify(validatorSet: set) }
        // A member's key on an attestation signed by someone else.
        var (other, _) = try finalizedProof()
        let impostor = Attestation(
            chainID: Fixtures.chainID, jobID: other.jobID, resultDigest: digest, profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.sha256("out"),
            logHash: Digest.sha256("log"), fuelUsed: 42, nodeKey: Keys.node(3).publicKey)
        other.attestations[2] = SignedAttestation(attestation: impostor, signature: Keys.node(9).sign(impostor.wireBytes, domain: .attestation))
        #expect(throws: ProofError.forgedSignature(nodeKey: Keys.node(3).publicKey.hex)) { try other.verify(validatorSet: set) }
    }

    @Test func aDifferentSpecOrDigestOrSetIsRejected() throws {
        let (proof, set) = try finalizedProof()
        var spec = proof
        spec.spec.fuelLimit += 1
        #expect(throws: ProofError.jobIDMismatch) { try spec.verify(validatorSet: set) }
        var digest = proof
        digest.agreedDigest = Digest.sha256("other")
        #expect(throws: ProofError.self) { try digest.verify(validatorSet: set) }
        let smaller = try ValidatorSet(epoch: 0, nodeKeys: Array(set.nodeKeys.prefix(3)))
        #expect(throws: ProofError.validatorSetMismatch) { try proof.verify(validatorSet: smaller) }
        var selfVouching = proof
        selfVouching.validatorSet = smaller
        #expect(throws: ProofError.validatorSetMismatch) { try selfVouching.verify(validatorSet: set) }
    }

    @Test func anOutOfBoundsProofIsAnErrorNotATrap() throws {
        var (proof, set) = try finalizedProof()
        proof.spec.entryPoint = String(repeating: "e", count: JobSpec.entryPointBytesMax + 1)
        #expect(throws: ProofError.malformed("entry point too long")) { try proof.verify(validatorSet: set) }
    }

    @Test func quorumArithmeticMatchesTwoFPlusOne() throws {
        for f in 0...20 {
            #expect(ValidatorSet.quorum(count: 3 * f + 1) == 2 * f + 1)
        }
        // Naive check: two quorums always intersect, and more than f honest are in any quorum pair.
        for n in 1...50 {
            let q = ValidatorSet.quorum(count: n)
            let f = (n - 1) / 3
            #expect(2 * q - n >= f + 1, "n=\(n)")
            #expect(q <= n - f, "n=\(n): quorum reachable with f silent")
        }
    }
}

@Suite struct ProofEncodingTests {
    /// The decoder's per-element minimum must not refuse the shortest real attestation.
    @Test func aProofWithAOneByteChainIDRoundTrips() throws {
        let spec = Fixtures.spec()
        let jobID = JobID.compute(chainID: "x", submitter: Keys.account(0).publicKey, nonce: 1, spec: spec)
        let signed = Attestation(
            chainID: "x", jobID: jobID, resultDigest: Digest.zero, profile: .zero, outcome: [0, 0, 0, 0, 0], outputHash: Digest.zero, logHash: Digest.zero,
            fuelUsed: 0, nodeKey: Keys.node(0).publicKey
        ).signed(by: Keys.node(0))
        let set = try ValidatorSet(epoch: 0, nodeKeys: [Keys.node(0).publicKey])
        let proof = ResultProof(
            chainID: "x", jobID: jobID, submitter: Keys.account(0).publicKey, nonce: 1, spec: spec, agreedDigest: Digest.zero,
            validatorSet: set, attestations: [signed])
        let decoded = try ResultProof.decode(wireBytes: proof.wireBytes)
        #expect(decoded == proof)
        try decoded.verify(validatorSet: set)
    }

    @Test func truncatedOrPaddedProofBytesAreRefused() throws {
        let spec = Fixtures.spec()
        let set = try ValidatorSet(epoch: 0, nodeKeys: [Keys.node(0).publicKey])
        let proof = ResultProof(
            chainID: "x", jobID: Digest.zero, submitter: Keys.account(0).publicKey, nonce: 1, spec: spec,
            agreedDigest: Digest.zero, validatorSet: set, attestations: [])
        let bytes = proof.wireBytes
        for cut in 0..<bytes.count { #expect(throws: WireError.self) { try ResultProof.decode(wireBytes: Array(bytes.prefix(cut))) } }
        #expect(throws: WireError.self) { try ResultProof.decode(wireBytes: bytes + [0]) }
    }
}
