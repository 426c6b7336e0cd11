public import PoECrypto
public import PoEWire

/// The phase of a signed consensus message; part of the signed bytes.
public enum Phase: UInt8, Sendable, CaseIterable {
    case prePrepare = 1
    case prepare = 2
    case commit = 3
    case checkpoint = 4
    case viewChange = 5
    case newView = 6
    case status = 7
}

/// The body of a signed consensus message.
public protocol Payload: Hashable, Sendable, WireCodable {
    static var phase: Phase { get }
    /// The view the message belongs to (the new view for view-change messages, 0 for checkpoints).
    var view: UInt64 { get }
    /// The sequence number (the stable checkpoint for view-change messages, 0 for new view).
    var sequence: UInt64 { get }
}

/// PRE-PREPARE(v, n, batch) from the primary of v (Castro–Liskov §4.2). The batch rides
/// inside the signed message, so a certificate carries the requests it orders.
public struct PrePrepare: Payload {
    public static let phase = Phase.prePrepare
    public let view: UInt64
    public let sequence: UInt64
    public let batch: Batch
    public init(view: UInt64, sequence: UInt64, batch: Batch) {
        self.view = view
        self.sequence = sequence
        self.batch = batch
    }
    public func encode(to writer: inout WireWriter) {
        writer.write(view)
        writer.write(sequence)
        writer.write(batch)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        view = try reader.readUInt64()
        sequence = try reader.readUInt64()
        batch = try reader.read()
    }
}

/// PREPARE(v, n, d) and COMMIT(v, n, d) share this shape.
public struct Vote: Hashable, Sendable {
    public let view: UInt64
    public let sequence: UInt64
    public let digest: Digest
    public init(view: UInt64, sequence: UInt64, digest: Digest) {
        self.view = view
        self.sequence = sequence
        self.digest = digest
    }
    func encode(to writer: inout WireWriter) {
        writer.write(view)
        writer.write(sequence)
        writer.write(digest)
    }
    init(from reader: inout WireReader) throws(WireError) {
        view = try reader.readUInt64()
        sequence = try reader.readUInt64()
        digest = try reader.read()
    }
}

public struct Prepare: Payload {
    public static let phase = Phase.prepare
    public let vote: Vote
    public init(view: UInt64, sequence: UInt64, digest: Digest) {
        vote = Vote(view: view, sequence: sequence, digest: digest)
    }
    public var view: UInt64 { vote.view }
    public var sequence: UInt64 { vote.sequence }
    public var digest: Digest { vote.digest }
    public func encode(to writer: inout WireWriter) { vote.encode(to: &writer) }
    public init(from reader: inout WireReader) throws(WireError) { vote = try Vote(from: &reader) }
}

public struct Commit: Payload {
    public static let phase = Phase.commit
    public let vote: Vote
    public init(view: UInt64, sequence: UInt64, digest: Digest) {
        vote = Vote(view: view, sequence: sequence, digest: digest)
    }
    public var view: UInt64 { vote.view }
    public var sequence: UInt64 { vote.sequence }
    public var digest: Digest { vote.digest }
    public func encode(to writer: inout WireWriter) { vote.encode(to: &writer) }
    public init(from reader: inout WireReader) throws(WireError) { vote = try Vote(from: &reader) }
}

/// CHECKPOINT(n, d) (§4.3): d covers the application state and the client table after n.
public struct Checkpoint: Payload {
    public static let phase = Phase.checkpoint
    public let sequence: UInt64
    public let stateDigest: Digest
    public var view: UInt64 { 0 }
    public init(sequence: UInt64, stateDigest: Digest) {
        self.sequence = sequence
        self.stateDigest = stateDigest
    }
    public func encode(to writer: inout WireWriter) {
        writer.write(sequence)
        writer.write(stateDigest)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        sequence = try reader.readUInt64()
        stateDigest = try reader.read()
    }
}

/// STATUS(v, n): "I am in view v and executed every batch up to n", sent once per
/// retransmission period. Not in the paper's protocol (the BFT library's status messages
/// play this part): on an idle chain nothing else tells a replica's peers what it lacks.
/// It commits its sender to nothing and is never persisted; peers answer it with what the
/// sender lacks, rate-limited (`Replica+CatchUp.swift`).
public struct StatusReport: Payload {
    public static let phase = Phase.status
    public let view: UInt64
    public let executed: UInt64
    public var sequence: UInt64 { executed }
    public init(view: UInt64, executed: UInt64) {
        self.view = view
        self.executed = executed
    }
    public func encode(to writer: inout WireWriter) {
        writer.write(view)
        writer.write(executed)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        view = try reader.readUInt64()
        executed = try reader.readUInt64()
    }
}

/// A pre-prepare and quorum-1 matching prepares from distinct backups (§4.2 "prepared").
public struct PreparedCertificate: Hashable, Sendable, WireCodable {
    public let prePrepare: Signed<PrePrepare>
    public let prepares: [Signed<Prepare>]
    public init(prePrepare: Signed<PrePrepare>, prepares: [Signed<Prepare>]) {
        self.prePrepare = prePrepare
        self.prepares = prepares
    }
    public var view: UInt64 { prePrepare.payload.view }
    public var sequence: UInt64 { prePrepare.payload.sequence }
    public var digest: Digest { prePrepare.payload.batch.digest }
    public func encode(to writer: inout WireWriter) {
        writer.write(prePrepare)
        writer.writeArray(prepares, bound: Limits.replicasMax)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        prePrepare = try reader.read()
        prepares = try reader.readArray(bound: Limits.replicasMax, minElementBytes: 114, field: "prepares")
    }
}

/// VIEW-CHANGE(v+1, n, C, P) (§4.4): the stable checkpoint n with its proof C, and the
/// prepared certificates P above n.
public struct ViewChange: Payload {
    public static let phase = Phase.viewChange
    public let newView: UInt64
    public let stableSequence: UInt64
    public let stableDigest: Digest
    public let checkpointProof: [Signed<Checkpoint>]
    public let prepared: [PreparedCertificate]
    public var view: UInt64 { newView }
    public var sequence: UInt64 { stableSequence }
    public init(newView: UInt64, stableSequence: UInt64, stableDigest: Digest,
                checkpointProof: [Signed<Checkpoint>], prepared: [PreparedCertificate]) {
        self.newView = newView
        self.stableSequence = stableSequence
        self.stableDigest = stableDigest
        self.checkpointProof = checkpointProof
        self.prepared = prepared
    }
    public func encode(to writer: inout WireWriter) {
        writer.write(newView)
        writer.write(stableSequence)
        writer.write(stableDigest)
        writer.writeArray(checkpointProof, bound: Limits.replicasMax)
        writer.writeArray(prepared, bound: Limits.windowSizeMax)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        newView = try reader.readUInt64()
        stableSequence = try reader.readUInt64()
        stableDigest = try reader.read()
        checkpointProof = try reader.readArray(bound: Limits.replicasMax, minElementBytes: 106, field: "checkpoint proof")
        prepared = try reader.readArray(bound: Limits.windowSizeMax, minElementBytes: 90, field: "prepared")
    }
}

/// NEW-VIEW(v, V, O) (§4.4): the quorum of view changes V and the pre-prepares O.
public struct NewView: Payload {
    public static let phase = Phase.newView
    public let view: UInt64
    public let viewChanges: [Signed<ViewChange>]
    public let prePrepares: [Signed<PrePrepare>]
    public var sequence: UInt64 { 0 }
    public init(view: UInt64, viewChanges: [Signed<ViewChange>], prePrepares: [Signed<PrePrepare>]) {
        self.view = view
        self.viewChanges = viewChanges
        self.prePrepares = prePrepares
    }
    public func encode(to writer: inout WireWriter) {
        writer.write(view)
        writer.writeArray(viewChanges, bound: Limits.replicasMax)
        writer.writeArray(prePrepares, bound: Limits.windowSizeMax)
    }
    public init(from reader: inout WireReader) throws(WireError) {
        view = try reader.readUInt64()
        viewChanges = try reader.readArray(bound: Limits.replicasMax, minElementBytes: 120, field: "view changes")
        prePrepares = try reader.readArray(bound: Limits.windowSizeMax, minElementBytes: 86, field: "pre-prepares")
    }
}
