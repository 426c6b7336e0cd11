import PoECrypto
import PoEWire
import Testing
@testable import PoELedger

@Suite struct TransactionTests {
    @Test func transferMovesFundsAndConsumesTheNonce() throws {
        let driver = try Driver()
        let result = try driver.run(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 250))
        #expect(result.succeeded)
        #expect(try driver.balance(0) == 100_000 - 250)
        #expect(try driver.balance(9) == 250)
        #expect(try driver.ledger.account(Keys.account(0).publicKey)?.nonce == 1)
    }

    @Test func badSignatureFailsAndChangesNothing() throws {
        let driver = try Driver()
        let before = try driver.ledger.snapshot()
        var transaction = driver.transaction(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 250))
        transaction.body = TransactionBody.transfer(to: Keys.account(9).publicKey, amount: 99_000).wireBytes
        let result = try driver.apply([transaction]).results[0]
        #expect(result.rejection?.kind == .badSignature)
        var after = try driver.ledger.snapshot()
        after.meta.height = before.meta.height
        #expect(after == before)
    }

    @Test func replayedNonceFails() throws {
        let driver = try Driver()
        let transaction = driver.transaction(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 10))
        #expect(try driver.apply([transaction]).results[0].succeeded)
        let replay = try driver.apply([transaction]).results[0]
        #expect(replay.rejection?.kind == .badNonce)
        #expect(try driver.balance(9) == 10)
    }

    @Test func nonceMayJumpAheadButNeverBack() throws {
        let driver = try Driver()
        let ahead = SignedTransaction.make(
            signer: Keys.account(0), nonce: 5, body: .transfer(to: Keys.account(9).publicKey, amount: 10))
        #expect(try driver.apply([ahead]).results[0].succeeded)
        #expect(try driver.ledger.account(Keys.account(0).publicKey)?.nonce == 5)
        let behind = SignedTransaction.make(
            signer: Keys.account(0), nonce: 3, body: .transfer(to: Keys.account(9).publicKey, amount: 10))
        #expect(try driver.apply([behind]).results[0].rejection?.kind == .badNonce)
        #expect(try driver.balance(9) == 10)
    }

    @Test func unfundedTransferFailsButConsumesTheNonce() throws {
        let driver = try Driver()
        let result = try driver.run(Keys.account(0), .transfer(to: Keys.account(9).publicKey, amount: 100_001))
        #expect(result.rejection?.kind == .insufficientFunds)
        #expect(try driver.balance(0) == 100_000)
        #expect(try driver.ledger.account(Keys.account(9).publicKey) == nil)
        // The failed transaction used nonce 1: the same signed bytes can never apply later.
        #expect(try driver.ledger.account(Keys.account(0).publicKey)?.nonce == 1)
    }

    @Test func unknownSenderWithNoFundsFails() throws {
        let driver = try Driver()
        let result = try driver.run(Keys.account(12), .transfer(to: Keys.account(0).publicKey, amount: 1))
        #expect(result.rejection?.kind == .insufficientFunds)
    }

    @Test func malformedBodyIsRecordedAsFailed() throws {
        let driver = try Driver()
        let signer = Keys.account(0)
        let body: [UInt8] = [200, 1, 2]
        let message = SignedTransaction.signedBytes(sender: signer.publicKey, nonce: 1, body: body)
        let transaction = SignedTransaction(
            sender: signer.publicKey, nonce: 1, body: body, signature: signer.sign(message, domain: .transaction))
        let result = try driver.apply([transaction]).results[0]
        #expect(result.rejection?.kind == .malformedBody)
        #expect(result.rejection?.detail.contains("invalid tag 200") == true)
    }

    @Test func zeroTransferIsInvalid() throws {
        let driver = try Driver()
        #expect(try driver.run(Keys.account(0), .transfer(to: Keys.account(1).publicKey, amount: 0)).rejection?.kind == .invalidAmount)
    }

    @Test func transactionAndBodyEncodingsRoundTrip() throws {
        let bodies: [TransactionBody] = [
            .transfer(to: Keys.account(1).publicKey, amount: 5),
            .register(stake: 1_000, endpoint: "h:1", nodeKey: Keys.node(9).publicKey),
            .unbond(amount: 3), .withdraw, .publishCode(name: "sha/1", codeHash: Digest.sha256("c")),
            .submitJob(spec: Fixtures.spec(code: .name("sha/1")), fee: 9),
            .attest(Fixtures.attestation(job: Digest.sha256("j"), digest: Digest.sha256("d"), node: 0)),
            .evidence(
                first: Fixtures.attestation(job: Digest.sha256("j"), digest: Digest.sha256("a"), node: 0),
                second: Fixtures.attestation(job: Digest.sha256("j"), digest: Digest.sha256("b"), node: 0)),
        ]
        for body in bodies {
            #expect(try TransactionBody.decode(wireBytes: body.wireBytes) == body)
            let transaction = SignedTransaction.make(signer: Keys.account(0), nonce: 1, body: body)
            #expect(try SignedTransaction.decode(wireBytes: transaction.wireBytes) == transaction)
            #expect(transaction.isSignatureValid)
        }
    }
}
