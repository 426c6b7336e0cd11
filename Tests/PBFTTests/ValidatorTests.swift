@testable import PBFT
import PoECrypto
import PoEWire
import Testing

/// Stateless validation of messages and their encodings.
@Suite struct ValidatorTests {
    let h = Harness(n: 4)
    var validator: MessageValidator { MessageValidator(config: h.config) }

    @Test func aValidPrePrepareRoundTripsThroughTheWireAndValidates() throws {
        let message = Message.prePrepare(h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [Harness.request(timestamp: 1)])), as: 0))
        let decoded = try Message.decode(wireBytes: message.wireBytes)
        #expect(decoded == message)
        #expect(throws: Never.self) { try validator.validate(decoded) }
    }

    @Test func aCorruptedSignatureIsRefused() throws {
        let good = h.sign(Prepare(view: 0, sequence: 1, digest: .zero), as: 1)
        var bytes = good.signature.bytes
        bytes[5] ^= 1
        let bad = Signed(sender: good.sender, payload: good.payload, signature: try Signature(bytes: bytes))
        #expect(throws: ValidationError.badSignature(.prepare, sender: 1)) { try validator.validate(.prepare(bad)) }
    }

    @Test func aSignatureForAnotherChainOrEpochOrPhaseDoesNotVerify() {
        let other = Config(chainID: Digest.sha256("other chain"), replicas: h.config.replicas)
        let foreign = Signed(signing: Prepare(view: 0, sequence: 1, digest: .zero), as: 1, key: h.key(1), config: other)
        #expect(throws: ValidationError.self) { try validator.validate(.prepare(foreign)) }
        let epoch = Config(chainID: h.config.chainID, epoch: 1, replicas: h.config.replicas)
        let later = Signed(signing: Prepare(view: 0, sequence: 1, digest: .zero), as: 1, key: h.key(1), config: epoch)
        #expect(throws: ValidationError.self) { try validator.validate(.prepare(later)) }
        // A prepare's signature does not make a commit with the same fields.
        let prepare = h.sign(Prepare(view: 0, sequence: 1, digest: .zero), as: 1)
        let commit = Signed(sender: 1, payload: Commit(view: 0, sequence: 1, digest: .zero), signature: prepare.signature)
        #expect(throws: ValidationError.self) { try validator.validate(.commit(commit)) }
    }

    @Test func anUnknownSenderIsRefused() {
        let forged = Signed(sender: 9, payload: Prepare(view: 0, sequence: 1, digest: .zero), signature: h.sign(Prepare(view: 0, sequence: 1, digest: .zero), as: 1).signature)
        #expect(throws: ValidationError.unknownSender(9)) { try validator.validate(.prepare(forged)) }
    }

    @Test func aPrePrepareFromABackupAndAPrepareFromThePrimaryAreRefused() {
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 1, batch: .null), as: 2)
        #expect(throws: ValidationError.notFromPrimary(.prePrepare, sender: 2)) { try validator.validate(.prePrepare(prePrepare)) }
        let prepare = h.sign(Prepare(view: 0, sequence: 1, digest: .zero), as: 0)
        #expect(throws: ValidationError.notFromPrimary(.prepare, sender: 0)) { try validator.validate(.prepare(prepare)) }
    }

    @Test func aBatchWithAForgedClientRequestIsRefused() throws {
        let request = Harness.request(timestamp: 1)
        let forged = ClientRequest(client: request.client, timestamp: 2, operation: request.operation, signature: request.signature)
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 1, batch: Batch(requests: [forged])), as: 0)
        #expect(throws: ValidationError.badClientSignature) { try validator.validate(.prePrepare(prePrepare)) }
        #expect(throws: ValidationError.badClientSignature) { try validator.validate(request: forged) }
    }

    @Test func checkpointsOnlyAtMultiplesOfK() {
        let checkpoint = h.sign(Checkpoint(sequence: 3, stateDigest: .zero), as: 1)
        #expect(throws: ValidationError.notACheckpointSequence(3)) { try validator.validate(.checkpoint(checkpoint)) }
    }

    @Test func aViewChangeWithAShortCheckpointProofOrAWeakCertificateIsRefused() {
        let digest = Digest.sha256("state")
        let proof = [1, 2].map { h.sign(Checkpoint(sequence: 4, stateDigest: digest), as: ReplicaID($0)) }
        let short = h.sign(ViewChange(newView: 1, stableSequence: 4, stableDigest: digest, checkpointProof: proof, prepared: []), as: 1)
        #expect(throws: ValidationError.self) { try validator.validate(.viewChange(short)) }
        let batch = Batch.null
        let weak = PreparedCertificate(prePrepare: h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0),
                                       prepares: [h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: 2)])
        let change = h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest, checkpointProof: [], prepared: [weak]), as: 1)
        #expect(throws: ValidationError.self) { try validator.validate(.viewChange(change)) }
    }

    @Test func aNewViewWithoutAQuorumOfViewChangesIsRefused() {
        let changes = [1, 2].map {
            h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest, checkpointProof: [], prepared: []), as: ReplicaID($0))
        }
        let newView = h.sign(NewView(view: 1, viewChanges: changes, prePrepares: []), as: 1)
        #expect(throws: ValidationError.self) { try validator.validate(.newView(newView)) }
    }

    @Test func truncatedOrGarbageBytesGiveAWireErrorNotACrash() {
        let bytes = Message.prepare(h.sign(Prepare(view: 0, sequence: 1, digest: .zero), as: 1)).wireBytes
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try Message.decode(wireBytes: Array(bytes.prefix(length))) }
        }
        #expect(throws: WireError.self) { try Message.decode(wireBytes: [6, 0, 1] + [UInt8](repeating: 0xFF, count: 40)) }
        #expect(throws: WireError.self) { try Message.decode(wireBytes: [99]) }
    }

    @Test func aStatusRoundTripsAndAForgedOneIsRefused() throws {
        let status = Message.status(h.sign(StatusReport(view: 2, executed: 7), as: 3))
        #expect(try Message.decode(wireBytes: status.wireBytes) == status)
        try validator.validate(status)
        let forged = Message.status(Signed(sender: 2, payload: StatusReport(view: 2, executed: 7), signature: h.sign(StatusReport(view: 2, executed: 7), as: 3).signature))
        #expect(throws: ValidationError.badSignature(.status, sender: 2)) { try validator.validate(forged) }
    }

    @Test func hugeViewsAndSequencesAreRefused() {
        let prepare = h.sign(Prepare(view: Limits.numberMax, sequence: 1, digest: .zero), as: 1)
        #expect(throws: ValidationError.numberOutOfRange(.prepare)) { try validator.validate(.prepare(prepare)) }
    }

    /// Mutated encodings of every kind of message: decoding and validation end in an error
    /// or a valid message, never a crash.
    @Test func mutatedMessagesNeverCrashTheDecoderOrTheValidator() {
        let batch = Batch(requests: [Harness.request(timestamp: 1)])
        let prePrepare = h.sign(PrePrepare(view: 0, sequence: 1, batch: batch), as: 0)
        let certificate = PreparedCertificate(prePrepare: prePrepare, prepares: [2, 3].map {
            h.sign(Prepare(view: 0, sequence: 1, digest: batch.digest), as: ReplicaID($0))
        })
        let change = h.sign(ViewChange(newView: 1, stableSequence: 0, stableDigest: Replica.genesisDigest,
                                       checkpointProof: [], prepared: [certificate]), as: 2)
        let samples: [Message] = [
            .prePrepare(prePrepare), .prepare(certificate.prepares[0]),
            .commit(h.sign(Commit(view: 0, sequence: 1, digest: batch.digest), as: 1)),
            .checkpoint(h.sign(Checkpoint(sequence: 4, stateDigest: .zero), as: 1)), .viewChange(change),
            .status(h.sign(StatusReport(view: 2, executed: 7), as: 3)),
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var decoded = 0
        for round in 0..<3_000 {
            var bytes = samples[round % samples.count].wireBytes
            for _ in 0..<(1 + next() % 3) { bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next()) }
            if let message = try? Message.decode(wireBytes: bytes) {
                decoded += 1
                _ = try? validator.validate(message)
            }
        }
        #expect(decoded > 0, "some mutations keep the encoding well formed and reach the validator")
    }
}
