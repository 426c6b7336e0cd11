import Hummingbird
import PoECrypto
import PoELedger
import PoEWire

extension APIHandlers {
    /// `GET /jobs/{id}`: state, attestations and the agreed digest once finalized.
    func job(_ context: some RequestContext) throws -> Response {
        let id = try APIRequestParsing.digest(context, "id", what: "job ID")
        let ledger = backend.ledger
        let response: JobResponse = try read("job") {
            let job = try knownJob(id)
            return JobResponse(
                job: job, set: try ledger.validatorSet(epoch: job.epoch), anchor: try ledger.anchor(jobID: id),
                attestations: try ledger.attestations(jobID: id))
        }
        return JSONBody.response(response)
    }

    /// `GET /jobs/{id}/proof`: the canonical bytes of the `ResultProof`, once finalized.
    func proof(_ context: some RequestContext) throws -> Response {
        let id = try APIRequestParsing.digest(context, "id", what: "job ID")
        let proof: ResultProof = try read("proof") {
            let job = try knownJob(id)
            guard let proof = try backend.ledger.resultProof(jobID: id) else {
                throw APIError.notFound("job \(id.hex) is \(JobResponse.statusText(job.status)): no proof until it is finalized")
            }
            return proof
        }
        return JSONBody.bytes(proof.wireBytes)
    }

    /// `GET /jobs/{id}/output`: the output blob of the agreed result.
    func output(_ context: some RequestContext) throws -> Response {
        let id = try APIRequestParsing.digest(context, "id", what: "job ID")
        let outputHash: Digest = try read("job output") {
            let job = try knownJob(id)
            guard let agreed = job.agreedDigest else {
                throw APIError.notFound("job \(id.hex) is \(JobResponse.statusText(job.status)): no agreed output yet")
            }
            let records = try backend.ledger.attestations(jobID: id)
            guard let record = records.first(where: { $0.signed.attestation.resultDigest == agreed }) else {
                throw APIError.internalError("job \(id.hex) is finalized but has no attestation of its digest")
            }
            return record.signed.attestation.outputHash
        }
        guard backend.blobs.contains(outputHash) else {
            throw APIError.notFound("this node does not hold output blob \(outputHash.hex) of job \(id.hex)")
        }
        return JSONBody.bytes(try blobBytes(outputHash))
    }

    private func knownJob(_ id: Digest) throws -> JobState {
        guard let job = try backend.ledger.job(id) else { throw APIError.notFound("no job \(id.hex)") }
        return job
    }
}
