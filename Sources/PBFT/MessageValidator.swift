public import PoECrypto

/// Why a message was refused before reaching the core.
public enum ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownSender(ReplicaID)
    case badSignature(Phase, sender: ReplicaID)
    case badClientSignature
    case numberOutOfRange(Phase)
    case notFromPrimary(Phase, sender: ReplicaID)
    case batchTooLarge(count: Int)
    case batchBytesTooLarge(bytes: Int)
    case duplicateRequestInBatch
    case notACheckpointSequence(UInt64)
    case badCheckpointProof(String)
    case badCertificate(String)
    case badNewView(String)

    public var description: String {
        switch self {
        case .unknownSender(let id): return "sender \(id) is not a replica"
        case .badSignature(let phase, let sender): return "bad signature on \(phase) from \(sender)"
        case .badClientSignature: return "a client request's signature does not verify"
        case .numberOutOfRange(let phase): return "\(phase): view or sequence out of range"
        case .notFromPrimary(let phase, let sender): return "\(phase) from \(sender), not the view's primary"
        case .batchTooLarge(let count): return "batch of \(count) requests over the configured size"
        case .batchBytesTooLarge(let bytes):
            return "batch of \(bytes) operation bytes over the \(Limits.batchOperationBytesMax)-byte bound"
        case .duplicateRequestInBatch: return "a batch holds one request twice"
        case .notACheckpointSequence(let n): return "checkpoint at \(n), not a multiple of K that this configuration orders"
        case .badCheckpointProof(let why): return "checkpoint proof: \(why)"
        case .badCertificate(let why): return "prepared certificate: \(why)"
        case .badNewView(let why): return "new view: \(why)"
        }
    }
}

/// Stateless checks of a decoded message: sender, every signature (nested ones too),
/// ranges, and the shape of certificates. A pure function, used by the simulator now and
/// by the TCP node later. The core re-checks everything that depends on its state.
public struct MessageValidator {
    /// Verifies `signature` by `key` over `bytes` in `domain`; injectable so that a
    /// simulator can cache results (deterministic signatures make that exact).
    public typealias Verifier = (PublicKey, Signature, [UInt8], SigningDomain) -> Bool

    public let config: Config
    private let verifier: Verifier

    public static func realVerify(_ key: PublicKey, _ signature: Signature, _ bytes: [UInt8], _ domain: SigningDomain) -> Bool {
        key.verify(signature, for: bytes, domain: domain)
    }

    public init(config: Config, verifier: @escaping Verifier = MessageValidator.realVerify) {
        self.config = config
        self.verifier = verifier
    }

    public func validate(request: ClientRequest) throws(ValidationError) {
        guard verifier(request.client, request.signature, request.signedBytes, .transaction) else {
            throw .badClientSignature
        }
    }

    public func validate(_ message: Message) throws(ValidationError) {
        switch message {
        case .prePrepare(let m): try validatePrePrepare(m)
        case .prepare(let m):
            try validateSigned(m)
            guard config.orders(m.payload.sequence) else { throw .numberOutOfRange(.prepare) }
            guard m.sender != config.primary(of: m.payload.view) else { throw .notFromPrimary(.prepare, sender: m.sender) }
        case .commit(let m):
            try validateSigned(m)
            guard config.orders(m.payload.sequence) else { throw .numberOutOfRange(.commit) }
        case .checkpoint(let m): try validateCheckpoint(m)
        case .viewChange(let m): try validateViewChange(m)
        case .newView(let m): try validateNewView(m)
        case .status(let m): try validateSigned(m)
        }
    }

    func validateSigned<P: Payload>(_ m: Signed<P>) throws(ValidationError) {
        guard Int(m.sender) < config.replicaCount else { throw .unknownSender(m.sender) }
        guard m.payload.view < Limits.numberMax, m.payload.sequence < Limits.numberMax else {
            throw .numberOutOfRange(P.phase)
        }
        let key = config.replicas[Int(m.sender)]
        guard verifier(key, m.signature, m.signedBytes(config: config), .consensus) else {
            throw .badSignature(P.phase, sender: m.sender)
        }
    }

    func validatePrePrepare(_ m: Signed<PrePrepare>) throws(ValidationError) {
        try validateSigned(m)
        guard m.sender == config.primary(of: m.payload.view) else { throw .notFromPrimary(.prePrepare, sender: m.sender) }
        guard config.orders(m.payload.sequence) else { throw .numberOutOfRange(.prePrepare) }
        let requests = m.payload.batch.requests
        guard requests.count <= config.batchSizeMax else { throw .batchTooLarge(count: requests.count) }
        let bytes = requests.reduce(0) { $0 + $1.operation.count }
        guard bytes <= Limits.batchOperationBytesMax else { throw .batchBytesTooLarge(bytes: bytes) }
        guard Set(requests.map(\.key)).count == requests.count else { throw .duplicateRequestInBatch }
        for request in requests { try validate(request: request) }
    }

    func validateCheckpoint(_ m: Signed<Checkpoint>) throws(ValidationError) {
        let sequence = m.payload.sequence
        guard config.orders(sequence), sequence % config.checkpointInterval == 0 else { throw .notACheckpointSequence(sequence) }
        try validateSigned(m)
    }

    /// A stable checkpoint proof: a quorum of distinct replicas signing (n, d); none for
    /// the configuration's origin (the genesis, or the checkpoint the configuration before
    /// certified), which every replica of the configuration knows.
    func validateCheckpointProof(sequence: UInt64, digest: Digest, proof: [Signed<Checkpoint>]) throws(ValidationError) {
        if sequence == config.origin.sequence {
            guard proof.isEmpty, digest == config.origin.digest else { throw .badCheckpointProof("the origin carries no proof") }
            return
        }
        guard Set(proof.map(\.sender)).count == proof.count else { throw .badCheckpointProof("duplicate signer") }
        guard proof.count >= config.quorum.quorum else { throw .badCheckpointProof("\(proof.count) signers, need \(config.quorum.quorum)") }
        for checkpoint in proof {
            guard checkpoint.payload.sequence == sequence, checkpoint.payload.stateDigest == digest else {
                throw .badCheckpointProof("a signer certifies another checkpoint")
            }
            try validateCheckpoint(checkpoint)
        }
    }

    func validateCertificate(_ certificate: PreparedCertificate) throws(ValidationError) {
        try validatePrePrepare(certificate.prePrepare)
        let primary = config.primary(of: certificate.view)
        guard Set(certificate.prepares.map(\.sender)).count == certificate.prepares.count else {
            throw .badCertificate("duplicate prepare signer")
        }
        guard certificate.prepares.count >= config.quorum.quorum - 1 else {
            throw .badCertificate("\(certificate.prepares.count) prepares, need \(config.quorum.quorum - 1)")
        }
        for prepare in certificate.prepares {
            guard prepare.sender != primary else { throw .badCertificate("the primary prepares") }
            guard prepare.payload.vote == Vote(view: certificate.view, sequence: certificate.sequence, digest: certificate.digest) else {
                throw .badCertificate("a prepare does not match its pre-prepare")
            }
            try validateSigned(prepare)
        }
    }

    func validateViewChange(_ m: Signed<ViewChange>) throws(ValidationError) {
        try validateSigned(m)
        let change = m.payload
        guard change.newView >= 1 else { throw .numberOutOfRange(.viewChange) }
        try validateCheckpointProof(sequence: change.stableSequence, digest: change.stableDigest, proof: change.checkpointProof)
        guard Set(change.prepared.map(\.sequence)).count == change.prepared.count else {
            throw .badCertificate("two certificates for one sequence")
        }
        for certificate in change.prepared {
            guard certificate.view < change.newView else { throw .badCertificate("certificate from a view not below the new one") }
            guard certificate.sequence > change.stableSequence,
                  certificate.sequence <= change.stableSequence + config.windowSize else {
                throw .badCertificate("certificate outside the window above the stable checkpoint")
            }
            try validateCertificate(certificate)
        }
    }

    func validateNewView(_ m: Signed<NewView>) throws(ValidationError) {
        try validateSigned(m)
        let view = m.payload.view
        guard m.sender == config.primary(of: view) else { throw .notFromPrimary(.newView, sender: m.sender) }
        let changes = m.payload.viewChanges
        guard Set(changes.map(\.sender)).count == changes.count else { throw .badNewView("duplicate view-change sender") }
        guard changes.count >= config.quorum.quorum else { throw .badNewView("\(changes.count) view changes, need a quorum") }
        for change in changes {
            guard change.payload.newView == view else { throw .badNewView("a view change for another view") }
            try validateViewChange(change)
        }
        for prePrepare in m.payload.prePrepares {
            guard prePrepare.payload.view == view else { throw .badNewView("a pre-prepare for another view") }
            try validatePrePrepare(prePrepare)
        }
    }
}
