import PoECrypto

/// Attestations, finalization and equivocation evidence.
extension BatchApplier {
    /// Records a validator's attestation; finalizes the job when its digest reaches quorum,
    /// and settles it at once when every member of the job's set has attested.
    func attest(_ signed: SignedAttestation) throws {
        let attestation = signed.attestation
        guard attestation.chainID == genesis.chainID else {
            throw Rejection(.wrongChain, "attestation is for chain \"\(attestation.chainID)\"")
        }
        guard var job = try store.job(attestation.jobID) else {
            throw Rejection(.unknownJob, "no job \(attestation.jobID.short)")
        }
        switch job.status {
        case .pending, .finalized: break
        case .settled, .failed: throw Rejection(.jobSettled, "job \(job.id.short) is already settled")
        }
        guard height <= job.deadlineHeight else {
            throw Rejection(.deadlinePassed, "deadline was height \(job.deadlineHeight)")
        }
        let members = try store.epochMembers(job.epoch)
        guard members.contains(where: { $0.nodeKey == attestation.nodeKey }) else {
            throw Rejection(.notInValidatorSet, "node key \(attestation.nodeKey.short) is not in the set of epoch \(job.epoch)")
        }
        guard !(try store.hasAttestation(jobID: job.id, nodeKey: attestation.nodeKey)) else {
            throw Rejection(.duplicateAttestation, "validator \(attestation.nodeKey.short) already attested job \(job.id.short)")
        }
        guard signed.isSignatureValid else {
            throw Rejection(.badAttestationSignature, "attestation signature does not verify for its node key")
        }
        try store.insertAttestation(AttestationRecord(signed: signed, height: height))
        if job.status == .pending {
            let quorum = ValidatorSet.quorum(count: members.count)
            if try store.countAttestations(jobID: job.id, resultDigest: attestation.resultDigest) >= quorum {
                try finalize(&job, digest: attestation.resultDigest)
            }
        }
        if try store.countAttestations(jobID: job.id) == members.count {
            try settle(jobID: job.id)
        }
    }

    /// Writes the anchor, once: at most one digest can reach quorum, and the status moves on.
    private func finalize(_ job: inout JobState, digest: Digest) throws {
        precondition(job.status == .pending && job.agreedDigest == nil)
        let existing = try store.anchor(job.id)
        precondition(existing == nil, "a pending job has no anchor")
        job.status = .finalized
        job.agreedDigest = digest
        try store.saveJob(job)
        try store.insertAnchor(AnchorEntry(jobID: job.id, digest: digest, height: height))
    }

    /// Two valid attestations by one node key for one job with different result digests:
    /// the validator loses the equivocation fraction of its stake and is jailed.
    func evidence(_ first: SignedAttestation, _ second: SignedAttestation) throws {
        let a = first.attestation
        let b = second.attestation
        guard a.chainID == genesis.chainID, b.chainID == genesis.chainID else {
            throw Rejection(.invalidEvidence, "an attestation is for another chain")
        }
        guard a.nodeKey == b.nodeKey else { throw Rejection(.invalidEvidence, "attestations by different node keys") }
        guard a.jobID == b.jobID else { throw Rejection(.invalidEvidence, "attestations for different jobs") }
        guard a.resultDigest != b.resultDigest else {
            throw Rejection(.invalidEvidence, "attestations agree on the result digest")
        }
        guard var validator = try store.validator(nodeKey: a.nodeKey) else {
            throw Rejection(.notAValidator, "node key \(a.nodeKey.short) belongs to no validator")
        }
        guard !(try store.hasEvidence(nodeKey: a.nodeKey, jobID: a.jobID)) else {
            throw Rejection(.evidenceAlreadyUsed, "equivocation of \(a.nodeKey.short) on job \(a.jobID.short) already punished")
        }
        guard first.isSignatureValid, second.isSignatureValid else {
            throw Rejection(.invalidEvidence, "an attestation signature does not verify")
        }
        try slash(&validator, basisPoints: parameters.equivocationSlashBasisPoints)
        validator.jailed = true
        try store.saveValidator(validator)
        try store.insertEvidence(EvidenceRecord(nodeKey: a.nodeKey, jobID: a.jobID, height: height))
    }

    /// Burns `basisPoints` / 10000 of the validator's stake (bond plus unbonding, rounded
    /// down), taken from the bond first. The caller saves the validator.
    func slash(_ validator: inout ValidatorState, basisPoints: UInt16) throws {
        let stake = validator.bond + validator.unbonding
        let product = stake.multipliedFullWidth(by: UInt64(basisPoints))
        let amount = UInt64(10_000).dividingFullWidth(product).quotient
        precondition(amount <= stake)
        let fromBond = min(amount, validator.bond)
        validator.bond -= fromBond
        validator.unbonding -= amount - fromBond
        try store.addBurned(amount)
    }
}
