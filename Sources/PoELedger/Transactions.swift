import PoECrypto

/// The transaction rules. Each checks everything before it writes anything, and throws
/// `Rejection` with the reason when a check fails.
extension BatchApplier {
    func transfer(from sender: PublicKey, to recipient: PublicKey, amount: UInt64) throws {
        guard amount > 0 else { throw Rejection(.invalidAmount, "transfer of zero") }
        try debit(sender, amount)
        try credit(recipient, amount)
    }

    func register(account: PublicKey, stake: UInt64, endpoint: String, nodeKey: PublicKey) throws {
        guard !endpoint.isEmpty, endpoint.utf8.count <= TransactionBody.endpointBytesMax else {
            throw Rejection(.invalidEndpoint, "endpoint must be 1...\(TransactionBody.endpointBytesMax) bytes")
        }
        guard stake > 0 else { throw Rejection(.invalidAmount, "stake of zero") }
        if var validator = try store.validator(account: account) {
            guard !validator.jailed else { throw Rejection(.jailed, "validator was jailed for equivocation") }
            guard validator.nodeKey == nodeKey else {
                throw Rejection(.nodeKeyTaken, "validator is registered with node key \(validator.nodeKey.short); it cannot change")
            }
            try debit(account, stake)
            validator.bond += stake
            validator.endpoint = endpoint
            try store.saveValidator(validator)
            return
        }
        guard stake >= parameters.minimumStake else {
            throw Rejection(.belowMinimumStake, "stake \(stake) is below the minimum \(parameters.minimumStake)")
        }
        if let other = try store.validator(nodeKey: nodeKey) {
            throw Rejection(.nodeKeyTaken, "node key is already used by validator \(other.account.short)")
        }
        try debit(account, stake)
        try store.saveValidator(
            ValidatorState(
                account: account, nodeKey: nodeKey, endpoint: endpoint, bond: stake, unbonding: 0, releaseHeight: 0,
                jailed: false, registeredHeight: height))
    }

    /// Unbonding restarts the delay for the whole unbonding amount (one queue entry per validator).
    func unbond(account: PublicKey, amount: UInt64) throws {
        guard var validator = try store.validator(account: account) else {
            throw Rejection(.notAValidator, "account has no validator")
        }
        guard amount > 0, amount <= validator.bond else {
            throw Rejection(.invalidAmount, "unbond \(amount) of a bond of \(validator.bond)")
        }
        validator.bond -= amount
        validator.unbonding += amount
        validator.releaseHeight = height + parameters.unbondingDelayHeights
        try store.saveValidator(validator)
    }

    func withdraw(account: PublicKey) throws {
        guard var validator = try store.validator(account: account) else {
            throw Rejection(.notAValidator, "account has no validator")
        }
        guard validator.unbonding > 0 else { throw Rejection(.nothingToWithdraw, "nothing is unbonding") }
        guard height >= validator.releaseHeight else {
            throw Rejection(.unbondingNotReleased, "unbonding is released at height \(validator.releaseHeight), now \(height)")
        }
        let amount = validator.unbonding
        validator.unbonding = 0
        try store.saveValidator(validator)
        try credit(account, amount)
    }

    func publishCode(owner: PublicKey, name: String, codeHash: Digest) throws {
        guard BatchApplier.isValidCodeName(name) else {
            throw Rejection(.invalidCodeName, "code names are 1...\(TransactionBody.codeNameBytesMax) bytes of [A-Za-z0-9._/-]")
        }
        if let existing = try store.code(name) {
            throw Rejection(.codeNameTaken, "name \"\(name)\" is already bound to \(existing.codeHash.short)")
        }
        try store.insertCode(CodeEntry(name: name, codeHash: codeHash, owner: owner, height: height))
    }

    static func isValidCodeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= TransactionBody.codeNameBytesMax else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2e || byte == 0x5f || byte == 0x2f || byte == 0x2d
        }
    }

    func submitJob(submitter: PublicKey, nonce: UInt64, spec: JobSpec, fee: UInt64) throws -> Digest {
        if let problem = spec.problem(parameters: parameters) { throw Rejection(.invalidJobSpec, problem) }
        let codeHash: Digest
        switch spec.code {
        case .hash(let digest): codeHash = digest
        case .name(let name):
            guard let entry = try store.code(name) else { throw Rejection(.unknownCode, "no code is published as \"\(name)\"") }
            codeHash = entry.codeHash
        }
        guard !(try store.epochMembers(epoch)).isEmpty else {
            throw Rejection(.noValidators, "epoch \(epoch) has no validators")
        }
        try debit(submitter, fee)
        let id = JobID.compute(chainID: genesis.chainID, submitter: submitter, nonce: nonce, spec: spec)
        let existing = try store.job(id)
        precondition(existing == nil, "job IDs include the consumed nonce, so they never repeat")
        try store.saveJob(
            JobState(
                id: id, submitter: submitter, nonce: nonce, spec: spec, codeHash: codeHash, fee: fee, escrow: fee,
                epoch: epoch, submitHeight: height, deadlineHeight: height + spec.deadlineHeights, status: .pending,
                agreedDigest: nil))
        return id
    }
}
