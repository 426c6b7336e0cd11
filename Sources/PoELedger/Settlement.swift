import PoECrypto

/// Paying out or refunding a job's fee.
extension BatchApplier {
    /// Finalized: the fee is split equally among the validators whose digest matched (the
    /// remainder of the division is burned), each divergent validator is slashed, the absent
    /// get nothing. Pending at its deadline (or with every validator attested and no
    /// quorum): the fee goes back to the submitter and no one is slashed.
    func settle(jobID: Digest) throws {
        guard var job = try store.job(jobID) else { preconditionFailure("settling unknown job \(jobID.short)") }
        switch job.status {
        case .pending:
            try credit(job.submitter, job.escrow)
            job.status = .failed
        case .finalized:
            guard let agreed = job.agreedDigest else { preconditionFailure("finalized job without a digest") }
            try payOut(job, agreed: agreed)
            job.status = .settled
        case .settled, .failed:
            preconditionFailure("job \(jobID.short) settled twice")
        }
        job.escrow = 0
        try store.saveJob(job)
        settledJobs.append(jobID)
    }

    private func payOut(_ job: JobState, agreed: Digest) throws {
        let records = try store.attestations(jobID: job.id)
        let matching = records.filter { $0.signed.attestation.resultDigest == agreed }
        let divergent = records.filter { $0.signed.attestation.resultDigest != agreed }
        precondition(!matching.isEmpty, "a finalized job has a quorum of matching attestations")
        let accounts = Dictionary(uniqueKeysWithValues: try store.epochMembers(job.epoch).map { ($0.nodeKey, $0.account) })
        let share = job.escrow / UInt64(matching.count)
        for record in matching {
            guard let account = accounts[record.signed.attestation.nodeKey] else {
                preconditionFailure("attestation by a non-member was recorded")
            }
            if share > 0 { try credit(account, share) }
        }
        try store.addBurned(job.escrow % UInt64(matching.count))
        for record in divergent {
            guard var validator = try store.validator(nodeKey: record.signed.attestation.nodeKey) else {
                preconditionFailure("epoch member without a validator row")
            }
            try slash(&validator, basisPoints: parameters.wrongResultSlashBasisPoints)
            try store.saveValidator(validator)
        }
    }
}
