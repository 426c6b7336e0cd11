import Foundation
import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoELedger
import PoENode
import Testing

/// `NodeClient` against a real server on 127.0.0.1 (port chosen by the system).
@Suite struct NodeClientLiveTests {
    static func liveApp(_ backend: FakeBackend) -> some ApplicationProtocol {
        makeAPIApplication(backend: backend, host: "127.0.0.1", port: 0)
    }

    @Test func submitFollowAndReadBack() async throws {
        let backend = try FakeBackend()
        try await Self.liveApp(backend).test(.live) { testClient in
            let port = try #require(testClient.port)
            let client = try NodeClient(baseURL: "http://127.0.0.1:\(port)/", timeoutSeconds: 10)
            #expect(try await client.health())
            #expect(try await client.status() == backend.status)
            #expect(try await client.chain().chainID == TestGenesis.chainID)

            let signer = TestKeys.account(7)
            let code = Array("code".utf8)
            let hash = try await client.uploadBlob(code, signedBy: signer)
            #expect(hash == Digest.sha256(code))
            #expect(try await client.blob(hash) == code)
            _ = try await client.uploadBlob(Array("input".utf8), signedBy: signer)

            let account = try await client.account(signer.publicKey)
            #expect(account.nonce == 0)
            let spec = JobDriver.spec()
            let transaction = SignedTransaction.make(
                signer: signer, nonce: account.nonce + 1, body: .submitJob(spec: spec, fee: 1_000))
            let id = try await client.submit(transaction)
            #expect(id == transaction.id)
            #expect(try await client.transactionStatus(id).status == "pending")

            try backend.commitSubmitted()
            let committed = try await client.transactionStatus(id)
            let jobID = JobID.compute(chainID: TestGenesis.chainID, submitter: signer.publicKey, nonce: 1, spec: spec)
            #expect(committed.status == "committed")
            #expect(committed.jobID == jobID.hex)
            #expect(try await client.job(jobID).status == "pending")
            #expect(try await client.validators().validators.count == 4)
        }
    }

    @Test func proofAndOutputOverTheWire() async throws {
        let backend = try FakeBackend()
        let (job, _) = try JobDriver(backend: backend).finalizedJob()
        try await Self.liveApp(backend).test(.live) { testClient in
            let client = try NodeClient(baseURL: "http://127.0.0.1:\(try #require(testClient.port))", timeoutSeconds: 10)
            let proof = try await client.proofBytes(job)
            let output = try await client.output(job)
            let report = try ProofCheck.verify(proofBytes: proof, genesis: backend.ledger.genesis, output: output)
            #expect(report.outputVerified)
        }
    }

    @Test func serverErrorsCarryTheServersText() async throws {
        let backend = try FakeBackend()
        try await Self.liveApp(backend).test(.live) { testClient in
            let client = try NodeClient(baseURL: "http://127.0.0.1:\(try #require(testClient.port))", timeoutSeconds: 10)
            let unknown = Digest.sha256("none")
            let notFound = try #require(await failure { () async throws(NodeClientError) in try await client.job(unknown) })
            #expect(notFound.isNotFound)
            #expect(notFound.description.contains("no job \(unknown.hex)"))
            let good = SignedTransaction.make(
                signer: TestKeys.account(7), nonce: 1, body: .transfer(to: TestKeys.account(1).publicKey, amount: 1))
            let forged = SignedTransaction(sender: good.sender, nonce: 2, body: good.body, signature: good.signature)
            let refused = await failure { () async throws(NodeClientError) in try await client.submit(forged) }
            #expect(refused == .http(
                status: 400, message: SubmitError.badSignature.description, url: client.baseURL + "/transactions"))
        }
    }

    @Test func unreachableNodeIsSaidSo() async throws {
        // Port 1 on loopback: nothing listens there.
        let client = try NodeClient(baseURL: "http://127.0.0.1:1", timeoutSeconds: 2)
        let error = try #require(await failure { () async throws(NodeClientError) in try await client.status() })
        #expect(error.description.hasPrefix("cannot reach node at http://127.0.0.1:1"))
    }

    @Test func invalidURL() {
        #expect(throws: NodeClientError.invalidURL("localhost:26700")) { try NodeClient(baseURL: "localhost:26700") }
    }
}

/// The error a client call failed with, or nil if it succeeded.
func failure<T>(_ body: () async throws(NodeClientError) -> T) async -> NodeClientError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}
