import Foundation
import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoELedger
import PoENode
import PoEWire
import Testing

@Suite struct JobRouteTests {
    @Test func pendingJobHasNoProofOrOutput() async throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let job = try driver.submitJob()
        try driver.attest(job: job, digest: Digest.sha256("r"), nodes: [0])
        try await testApp(backend).test(.router) { client in
            let response = try await client.execute(uri: "/jobs/\(job.hex)", method: .get)
            #expect(response.status == .ok)
            let decoded = try response.decode(JobResponse.self)
            #expect(decoded.status == "pending")
            #expect(decoded.submitter == TestKeys.account(7).publicKey.hex)
            #expect(decoded.fee == 1_000)
            #expect(decoded.escrow == 1_000)
            #expect(decoded.submitHeight == 1)
            #expect(decoded.deadlineHeight == 21)
            #expect(decoded.validatorCount == 4)
            #expect(decoded.quorum == 3)
            #expect(decoded.agreedDigest == nil)
            #expect(decoded.attestations.map(\.validator) == [TestKeys.node(0).publicKey.hex])
            #expect(decoded.attestations.first?.fuelUsed == 1234)

            let proof = try await client.execute(uri: "/jobs/\(job.hex)/proof", method: .get)
            #expect(proof.status == .notFound)
            #expect(proof.errorText?.contains("pending") == true)
            let output = try await client.execute(uri: "/jobs/\(job.hex)/output", method: .get)
            #expect(output.status == .notFound)
        }
    }

    @Test func finalizedJobServesAVerifyingProofAndItsOutput() async throws {
        let backend = try FakeBackend()
        let (job, digest) = try JobDriver(backend: backend).finalizedJob()
        try await testApp(backend).test(.router) { client in
            let state = try await client.execute(uri: "/jobs/\(job.hex)", method: .get).decode(JobResponse.self)
            #expect(state.status == "finalized")
            #expect(state.agreedDigest == digest.hex)
            #expect(state.anchorHeight == 2)
            #expect(state.agreedOutputHash == Digest.sha256(JobDriver.output).hex)
            #expect(state.count(for: digest.hex) == 3)
            #expect(!state.settled)

            let proofResponse = try await client.execute(uri: "/jobs/\(job.hex)/proof", method: .get)
            #expect(proofResponse.status == .ok)
            let proof = try ResultProof.decode(wireBytes: proofResponse.bytes)
            #expect(proof.jobID == job)
            #expect(proof.agreedDigest == digest)
            let trusted = try ValidatorSet(epoch: 0, nodeKeys: (0..<4).map { TestKeys.node($0).publicKey })
            try proof.verify(validatorSet: trusted)
            let report = try ProofCheck.verify(
                proofBytes: proofResponse.bytes, genesis: backend.ledger.genesis, output: JobDriver.output)
            #expect(report.outputVerified)

            let output = try await client.execute(uri: "/jobs/\(job.hex)/output", method: .get)
            #expect(output.status == .ok)
            #expect(output.bytes == JobDriver.output)
        }
    }

    @Test func settledJobStillServesItsProof() async throws {
        let backend = try FakeBackend()
        let driver = JobDriver(backend: backend)
        let (job, digest) = try driver.finalizedJob()
        try driver.attest(job: job, digest: digest, nodes: [3])  // everyone attested: settles
        try await testApp(backend).test(.router) { client in
            let state = try await client.execute(uri: "/jobs/\(job.hex)", method: .get).decode(JobResponse.self)
            #expect(state.status == "settled")
            #expect(state.settled)
            #expect(state.escrow == 0)
            let proof = try await client.execute(uri: "/jobs/\(job.hex)/proof", method: .get)
            #expect(try ResultProof.decode(wireBytes: proof.bytes).attestations.count == 4)
        }
    }

    @Test func outputMissingFromThisNode() async throws {
        let backend = try FakeBackend()
        let (job, _) = try JobDriver(backend: backend).finalizedJob()
        try backend.blobs.remove(Digest.sha256(JobDriver.output))
        try await testApp(backend).test(.router) { client in
            let output = try await client.execute(uri: "/jobs/\(job.hex)/output", method: .get)
            #expect(output.status == .notFound)
            #expect(output.errorText?.contains("does not hold output blob") == true)
        }
    }

    @Test func unknownJobAndBadID() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            for suffix in ["", "/proof", "/output"] {
                let unknown = try await client.execute(uri: "/jobs/\(Digest.sha256("none").hex)\(suffix)", method: .get)
                #expect(unknown.status == .notFound)
                #expect(unknown.errorText?.contains("no job") == true)
                let bad = try await client.execute(uri: "/jobs/zz\(suffix)", method: .get)
                #expect(bad.status == .badRequest)
            }
        }
    }
}
