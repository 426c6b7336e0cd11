public import PoENodeCore
import Hummingbird
import PoECrypto
import PoELedger
import PoEWire

extension APIHandlers {
    /// `POST /transactions`: the canonical wire bytes of a `SignedTransaction` -> 202 `{"id"}`.
    func submit(_ request: Request) async throws -> Response {
        let bytes = try await APIRequestParsing.body(
            request, bytesMax: APILimits.transactionBytesMax, what: "transaction")
        let transaction: SignedTransaction
        do {
            transaction = try SignedTransaction.decode(wireBytes: bytes)
        } catch {
            throw APIError.badRequest("not a signed transaction: \(error)")
        }
        // The ledger would record an undecodable body as failed; refusing it here tells
        // the client at once and costs no one a nonce.
        let body: TransactionBody
        do {
            body = try TransactionBody.decode(wireBytes: transaction.body)
        } catch {
            throw APIError.badRequest("the transaction body does not decode: \(error)")
        }
        try TransactionAdmission(backend: backend).check(transaction, body: body)
        do {
            try backend.submit(transaction)
        } catch .badSignature {
            throw APIError.badRequest(SubmitError.badSignature.description)
        } catch .overloaded {
            throw APIError(.serviceUnavailable, SubmitError.overloaded.description)
        }
        return JSONBody.response(SubmitResponse(id: transaction.id.hex), status: .accepted)
    }

    /// `GET /transactions/{id}`.
    func transaction(_ context: some RequestContext) throws -> Response {
        let id = try APIRequestParsing.digest(context, "id", what: "transaction ID")
        guard let status = backend.transactionStatus(id) else {
            throw APIError.notFound("this node has not seen transaction \(id.hex)")
        }
        return JSONBody.response(TransactionStatusResponse(status))
    }
}
