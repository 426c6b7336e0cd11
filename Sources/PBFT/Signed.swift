public import PoECrypto
public import PoEWire

/// A payload signed by a replica. Signed bytes (domain `.consensus`):
/// chainID (32) ‖ epoch u64 ‖ phase u8 ‖ view u64 ‖ sequence u64 ‖ sender u16 ‖ payload encoding.
public struct Signed<P: Payload>: Hashable, Sendable, WireCodable {
    public let sender: ReplicaID
    public let payload: P
    public let signature: Signature

    public init(sender: ReplicaID, payload: P, signature: Signature) {
        self.sender = sender
        self.payload = payload
        self.signature = signature
    }

    /// Signs `payload` as `sender`.
    public init(signing payload: P, as sender: ReplicaID, key: PrivateKey, config: Config) {
        let bytes = Signed.signedBytes(payload: payload, sender: sender, config: config)
        self.init(sender: sender, payload: payload, signature: key.sign(bytes, domain: .consensus))
    }

    public static func signedBytes(payload: P, sender: ReplicaID, config: Config) -> [UInt8] {
        var writer = WireWriter(reservingCapacity: 128)
        writer.write(config.chainID)
        writer.write(config.epoch)
        writer.write(P.phase.rawValue)
        writer.write(payload.view)
        writer.write(payload.sequence)
        writer.write(sender)
        writer.write(payload)
        return writer.bytes
    }

    public func signedBytes(config: Config) -> [UInt8] {
        Signed.signedBytes(payload: payload, sender: sender, config: config)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(sender)
        writer.write(payload)
        writer.write(signature)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        sender = try reader.readUInt16()
        payload = try reader.read()
        signature = try reader.read()
    }
}

/// Any consensus message, as it travels between replicas.
public enum Message: Hashable, Sendable {
    case prePrepare(Signed<PrePrepare>)
    case prepare(Signed<Prepare>)
    case commit(Signed<Commit>)
    case checkpoint(Signed<Checkpoint>)
    case viewChange(Signed<ViewChange>)
    case newView(Signed<NewView>)
    case status(Signed<StatusReport>)

    public var sender: ReplicaID {
        switch self {
        case .prePrepare(let m): return m.sender
        case .prepare(let m): return m.sender
        case .commit(let m): return m.sender
        case .checkpoint(let m): return m.sender
        case .viewChange(let m): return m.sender
        case .newView(let m): return m.sender
        case .status(let m): return m.sender
        }
    }

    public var phase: Phase {
        switch self {
        case .prePrepare: return .prePrepare
        case .prepare: return .prepare
        case .commit: return .commit
        case .checkpoint: return .checkpoint
        case .viewChange: return .viewChange
        case .newView: return .newView
        case .status: return .status
        }
    }

    /// (view, sequence) as signed.
    public var slot: (view: UInt64, sequence: UInt64) {
        switch self {
        case .prePrepare(let m): return (m.payload.view, m.payload.sequence)
        case .prepare(let m): return (m.payload.view, m.payload.sequence)
        case .commit(let m): return (m.payload.view, m.payload.sequence)
        case .checkpoint(let m): return (m.payload.view, m.payload.sequence)
        case .viewChange(let m): return (m.payload.view, m.payload.sequence)
        case .newView(let m): return (m.payload.view, m.payload.sequence)
        case .status(let m): return (m.payload.view, m.payload.sequence)
        }
    }

    /// The digest of what the message commits its sender to (the batch, the vote's
    /// digest, the checkpoint state, or the whole payload); two different values for one
    /// (sender, phase, view, sequence) are equivocation.
    public var votedDigest: Digest {
        switch self {
        case .prePrepare(let m): return m.payload.batch.digest
        case .prepare(let m): return m.payload.digest
        case .commit(let m): return m.payload.digest
        case .checkpoint(let m): return m.payload.stateDigest
        case .viewChange(let m): return Digest.of(m.payload)
        case .newView(let m): return Digest.of(m.payload)
        case .status(let m): return Digest.of(m.payload)
        }
    }
}

extension Message: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(phase.rawValue)
        switch self {
        case .prePrepare(let m): writer.write(m)
        case .prepare(let m): writer.write(m)
        case .commit(let m): writer.write(m)
        case .checkpoint(let m): writer.write(m)
        case .viewChange(let m): writer.write(m)
        case .newView(let m): writer.write(m)
        case .status(let m): writer.write(m)
        }
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let tag = try reader.readUInt8()
        guard let phase = Phase(rawValue: tag) else { throw .invalidTag(field: "message", tag: tag) }
        switch phase {
        case .prePrepare: self = .prePrepare(try reader.read())
        case .prepare: self = .prepare(try reader.read())
        case .commit: self = .commit(try reader.read())
        case .checkpoint: self = .checkpoint(try reader.read())
        case .viewChange: self = .viewChange(try reader.read())
        case .newView: self = .newView(try reader.read())
        case .status: self = .status(try reader.read())
        }
    }
}
