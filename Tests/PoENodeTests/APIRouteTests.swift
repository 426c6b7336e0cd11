import PoENodeCore
import Foundation
import Hummingbird
import HummingbirdTesting
import PoECrypto
import PoELedger
import PoENode
import PoEWire
import Testing

@Suite struct HealthStatusMetricsTests {
    @Test func healthStatusAndMetrics() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(String(buffer: health.body) == "ok")

            let status = try await client.execute(uri: "/status", method: .get)
            #expect(status.status == .ok)
            #expect(try status.decode(NodeStatus.self) == backend.status)

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4")
            #expect(String(buffer: metrics.body).contains("poe_height 0"))

            let noRoute = try await client.execute(uri: "/nothing/here", method: .get)
            #expect(noRoute.status == .notFound)
            #expect(noRoute.errorText?.contains("no such route for GET") == true)

            let chain = try await client.execute(uri: "/chain", method: .get)
            let decoded = try chain.decode(ChainResponse.self)
            #expect(decoded.chainID == TestGenesis.chainID)
            #expect(decoded.genesisDigest == backend.ledger.genesis.digest.hex)
        }
    }
}

/// Over-long targets and headers get the status that names the problem, and no answer
/// repeats what the client sent.
@Suite struct RequestBoundsTests {
    @Test func longTargetsAndHeadersAreRefusedWithoutEchoingThem() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let long = "/" + String(repeating: "a", count: 8_000)
            let target = try await client.execute(uri: long, method: .get)
            #expect(target.status == .uriTooLong)
            #expect(target.errorText?.contains("over the 2048-byte bound") == true)
            #expect(target.errorText?.contains("aaaa") == false)

            let headers = try await client.execute(
                uri: "/status", method: .get, headers: [.init("X-Padding")!: String(repeating: "b", count: 20_000)])
            #expect(headers.status == .requestHeaderFieldsTooLarge)
            #expect(headers.errorText?.contains("bbbb") == false)

            let unknown = try await client.execute(uri: "/no-such-route-\(String(repeating: "c", count: 500))", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorText?.contains("cccc") == false, "the 404 does not echo the path")
        }
    }
}

@Suite struct TransactionRouteTests {
    @Test func submitThenFollowToCommit() async throws {
        let backend = try FakeBackend()
        try backend.blobs.put(Array("code".utf8))
        try backend.blobs.put(Array("input".utf8))
        let transaction = try backend.transaction(TestKeys.account(7), .submitJob(spec: JobDriver.spec(), fee: 500))
        try await testApp(backend).test(.router) { client in
            let submitted = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(transaction.wireBytes))
            #expect(submitted.status == .accepted)
            #expect(try submitted.decode(SubmitResponse.self).id == transaction.id.hex)
            #expect(backend.submitted == [transaction])

            let pending = try await client.execute(uri: "/transactions/\(transaction.id.hex)", method: .get)
            #expect(try pending.decode(TransactionStatusResponse.self) == TransactionStatusResponse(status: "pending"))

            try backend.commitSubmitted()
            let committed = try await client.execute(uri: "/transactions/\(transaction.id.hex)", method: .get)
            let status = try committed.decode(TransactionStatusResponse.self)
            let jobID = JobID.compute(
                chainID: TestGenesis.chainID, submitter: transaction.sender, nonce: transaction.nonce, spec: JobDriver.spec())
            #expect(status == TransactionStatusResponse(status: "committed", height: 1, jobID: jobID.hex))
        }
    }

    @Test func rejectedTransactionSaysWhy() async throws {
        let backend = try FakeBackend()
        // Signed correctly, refused by the ledger: more than the account holds (which only
        // ordering can tell: a transfer to it could come first).
        let balance = try #require(try backend.ledger.account(TestKeys.account(6).publicKey)).balance
        let transaction = SignedTransaction.make(
            signer: TestKeys.account(6), nonce: 1, body: .transfer(to: TestKeys.account(1).publicKey, amount: balance + 1))
        try await testApp(backend).test(.router) { client in
            let submitted = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(transaction.wireBytes))
            #expect(submitted.status == .accepted)
            try backend.commitSubmitted()
            let response = try await client.execute(uri: "/transactions/\(transaction.id.hex)", method: .get)
            let status = try response.decode(TransactionStatusResponse.self)
            #expect(status.status == "rejected")
            #expect(status.height == 1)
            #expect(status.reason?.contains("insufficientFunds") == true)
        }
    }

    /// What the ledger would refuse anyway and ordering cannot change is refused at the
    /// door with a reason; nothing reaches consensus, no nonce is used.
    @Test func whatCanBeRefusedWithoutOrderingIsRefusedAtTheDoor() async throws {
        let backend = try FakeBackend()
        let signer = TestKeys.account(7)
        let recipient = TestKeys.account(1).publicKey
        let supply = backend.ledger.genesis.mintedSupply
        var outOfBounds = JobDriver.spec()
        outOfBounds.deadlineHeights = backend.ledger.genesis.parameters.jobDeadlineHeightsMax + 1
        var noFuel = JobDriver.spec()
        noFuel.fuelLimit = 0
        let refusals: [(TransactionBody, HTTPResponse.Status, String)] = [
            (.transfer(to: recipient, amount: 0), .badRequest, "a transfer of zero"),
            (.transfer(to: recipient, amount: UInt64.max), .badRequest, "more than all tokens"),
            (.submitJob(spec: JobDriver.spec(), fee: supply + 1), .badRequest, "more than all tokens"),
            (.submitJob(spec: outOfBounds, fee: 10), .badRequest, "deadline"),
            (.submitJob(spec: noFuel, fee: 10), .badRequest, "fuel limit is zero"),
            (.submitJob(spec: JobDriver.spec(), fee: 10), .badRequest, "upload it first"),
        ]
        try await testApp(backend).test(.router) { client in
            for (body, status, reason) in refusals {
                let transaction = SignedTransaction.make(signer: signer, nonce: 1, body: body)
                let response = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(transaction.wireBytes))
                #expect(response.status == status, "\(body)")
                #expect(response.errorText?.contains(reason) == true, "\(response.errorText ?? "")")
            }
            #expect(backend.submitted.isEmpty, "nothing reached consensus")

            // Ordered once, then replayed: 409 with its fate. A nonce not above the
            // account's last ordered one: 409, with the nonce to use.
            let first = SignedTransaction.make(signer: signer, nonce: 1, body: .transfer(to: recipient, amount: 5))
            _ = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(first.wireBytes))
            try backend.commitSubmitted()
            let replay = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(first.wireBytes))
            #expect(replay.status == .conflict)
            #expect(replay.errorText?.contains("committed at height 1") == true)
            let stale = SignedTransaction.make(signer: signer, nonce: 1, body: .transfer(to: recipient, amount: 6))
            let refused = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(stale.wireBytes))
            #expect(refused.status == .conflict)
            #expect(refused.errorText?.contains("nonce 2 or higher") == true)
            #expect(backend.submitted.isEmpty)
        }
    }

    @Test func malformedBadSignatureOverloadedOversized() async throws {
        let backend = try FakeBackend()
        let good = try backend.transaction(TestKeys.account(7), .transfer(to: TestKeys.account(1).publicKey, amount: 10))
        // Another nonce: the signature no longer covers the signed bytes.
        let forged = SignedTransaction(sender: good.sender, nonce: good.nonce + 1, body: good.body, signature: good.signature)
        let undecodableBody = SignedTransaction(sender: good.sender, nonce: good.nonce, body: [0xff], signature: good.signature)
        try await testApp(backend).test(.router) { client in
            let malformed = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer([1, 2, 3]))
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorText?.contains("not a signed transaction") == true)

            let trailing = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(good.wireBytes + [0]))
            #expect(trailing.status == .badRequest)

            let badBody = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(undecodableBody.wireBytes))
            #expect(badBody.status == .badRequest)
            #expect(badBody.errorText?.contains("body does not decode") == true)

            let badSignature = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(forged.wireBytes))
            #expect(badSignature.status == .badRequest)
            #expect(badSignature.errorText == SubmitError.badSignature.description)

            backend.refuse(with: .overloaded)
            let overloaded = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(good.wireBytes))
            #expect(overloaded.status == .serviceUnavailable)
            #expect(overloaded.errorText == SubmitError.overloaded.description)

            let big = [UInt8](repeating: 0, count: APILimits.transactionBytesMax + 1)
            let oversized = try await client.execute(uri: "/transactions", method: .post, body: ByteBuffer(big))
            #expect(oversized.status == .contentTooLarge)

            #expect(backend.submitted.isEmpty)
        }
    }

    @Test func unknownAndBadTransactionID() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let unknown = try await client.execute(uri: "/transactions/\(Digest.sha256("x").hex)", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorText?.contains("has not seen") == true)
            let bad = try await client.execute(uri: "/transactions/1234", method: .get)
            #expect(bad.status == .badRequest)
        }
    }
}

@Suite struct AccountValidatorRouteTests {
    @Test func accounts() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let validator = try await client.execute(uri: "/accounts/\(TestKeys.account(0).publicKey.hex)", method: .get)
            let decoded = try validator.decode(AccountResponse.self)
            #expect(decoded.balance == 100_000)
            #expect(decoded.nonce == 0)
            #expect(decoded.validator?.bond == 10_000)
            #expect(decoded.validator?.nodeKey == TestKeys.node(0).publicKey.hex)

            let submitter = try await client.execute(uri: "/accounts/\(TestKeys.account(7).publicKey.hex)", method: .get)
            #expect(try submitter.decode(AccountResponse.self).validator == nil)

            let unknownKey = PrivateKey.deterministic(seed: "api-test/nobody").publicKey
            let unknown = try await client.execute(uri: "/accounts/\(unknownKey.hex)", method: .get)
            #expect(unknown.status == .ok)
            #expect(try unknown.decode(AccountResponse.self) == AccountResponse(key: unknownKey.hex, balance: 0, nonce: 0, validator: nil))

            let bad = try await client.execute(uri: "/accounts/nothex", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.errorText?.contains("public key") == true)
        }
    }

    @Test func validators() async throws {
        let backend = try FakeBackend()
        try await testApp(backend).test(.router) { client in
            let response = try await client.execute(uri: "/validators", method: .get)
            let decoded = try response.decode(ValidatorsResponse.self)
            #expect(decoded.epoch == 0)
            #expect(decoded.quorum == 3)
            #expect(decoded.validators.count == 4)
            #expect(Set(decoded.validators.map(\.nodeKey)) == Set((0..<4).map { TestKeys.node($0).publicKey.hex }))
            #expect(decoded.validators.allSatisfy { $0.bond == 10_000 && !$0.jailed && $0.endpoint.hasPrefix("127.0.0.1:") })
            #expect(decoded.validators.allSatisfy { $0.balance == 100_000 }, "each validator's account balance")
        }
    }
}
