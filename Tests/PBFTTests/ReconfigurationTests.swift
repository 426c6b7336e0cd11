@testable import PBFT
import PoECrypto
import Testing

/// A configuration's bounds (docs/PROTOCOL.md, "Reconfiguration at epoch boundaries"):
/// configuration e orders up to its last sequence S and no further; configuration e+1
/// starts from S's certified checkpoint, so no sequence number is voted on by two sets.
@Suite struct ReconfigurationTests {
    static let last: UInt64 = 8

    static func submit(_ h: inout Harness, _ timestamps: ClosedRange<Int>) {
        for timestamp in timestamps { h.submit(Harness.request(client: timestamp % 3, timestamp: UInt64(timestamp))) }
    }

    /// Configuration 0 (replicas 0-3) with ten requests for eight sequence numbers.
    static func endedConfiguration(down: Set<ReplicaID> = []) -> Harness {
        var h = Harness(n: 4, checkpointInterval: 4, windowSize: 8, lastSequence: last)
        h.down = down
        submit(&h, 1...10)
        h.run()
        h.tick(30)
        return h
    }

    /// Configuration 1 (replicas 0-4: replica 4 joins) from configuration 0's last checkpoint.
    /// Replicas 0-3 install their own state at S; replica 4 asks for it and gets replica 0's.
    /// Each receives the requests its predecessor still held (4: those its client sent it).
    static func nextConfiguration(after old: Harness) -> Harness {
        let origin = Origin(sequence: last, digest: old.replicas[0].stable.digest)
        var h = Harness(n: 5, checkpointInterval: 4, windowSize: 8, epoch: 1, origin: origin)
        for id in 0..<4 {
            let ended = old.replicas[id]
            guard ended.hasEnded, let table = ended.stableClientTable else { continue }
            h.delivered[id] = old.delivered[id]
            h.step(ReplicaID(id), .stateTransferred(StateSnapshot(sequence: last, appDigest: old.appDigest(ReplicaID(id)), clientTable: table)))
            for request in ended.pendingRequests { h.step(ReplicaID(id), .request(request)) }
        }
        h.step(4, .tick)
        #expect(h.fetches[4].map(\.sequence) == [last], "a new member asks for the state at the origin")
        h.delivered[4] = old.delivered[0]
        h.step(4, .stateTransferred(StateSnapshot(sequence: last, appDigest: old.appDigest(0), clientTable: old.replicas[0].stableClientTable!)))
        for request in old.replicas[0].pendingRequests { h.step(4, .request(request)) }
        return h
    }

    @Test func aConfigurationOrdersUpToItsLastSequenceAndEndsThere() {
        let h = Self.endedConfiguration()
        for id in 0..<4 {
            let replica = h.replicas[id]
            #expect(h.sequencesDelivered(ReplicaID(id)) == Array(1...8))
            #expect(replica.hasEnded)
            #expect(replica.stable.sequence == 8 && replica.stable.proof.count == 3, "S is certified by the old set")
            #expect(replica.pendingRequests.map(\.timestamp) == [9, 10], "what did not fit waits for the next set")
            #expect(replica.view == 0 && replica.status == .normal, "a finished configuration changes no view for waiting requests")
        }
        for records in h.persisted {
            for case .signed(let message) in records {
                #expect(message.slot.sequence <= 8, "nothing signed above the last sequence")
            }
        }
    }

    @Test func aViewChangeInTheMiddleOfTheSwitchStaysBelowTheLastSequence() {
        var h = Self.endedConfiguration(down: [0])
        h.tick(40)
        for id in 1..<4 {
            #expect(h.replicas[id].view == 1, "replica 1 took over from the stopped primary")
            #expect(h.sequencesDelivered(ReplicaID(id)) == Array(1...8))
            #expect(h.replicas[id].hasEnded)
            #expect(h.replicas[id].pendingRequests.count == 2)
        }
        for records in h.persisted.dropFirst() {
            for case .signed(.newView(let newView)) in records {
                #expect(newView.payload.prePrepares.allSatisfy { $0.payload.sequence <= 8 })
            }
        }
    }

    @Test func theNextConfigurationOrdersWhatWaitedOnceAndNothingTwice() {
        let old = Self.endedConfiguration()
        var h = Self.nextConfiguration(after: old)
        // A client re-sends request 3, executed at or below S in the old configuration.
        h.submit(Harness.request(client: 0, timestamp: 3))
        h.run()
        for id in 0..<5 {
            let after = h.delivered[id].filter { $0.sequence > 8 }
            #expect(after.map(\.sequence) == [9, 10], "replica \(id) continues at S+1")
            #expect(after.flatMap(\.requests).map(\.timestamp) == [9, 10], "each waiting request once, the old one not again")
            #expect(h.replicas[id].pendingRequestCount == 0)
        }
        #expect(h.appDigest(4) == h.appDigest(0), "the new member holds the same state")
    }

    @Test func aViewChangeOfTheNewConfigurationStartsFromTheOriginWithoutAProof() throws {
        let old = Self.endedConfiguration()
        var h = Self.nextConfiguration(after: old)
        h.run()
        h.down = [0]
        h.submit(Harness.request(client: 1, timestamp: 11))
        h.tick(40)
        for id in 1..<5 {
            #expect(h.replicas[id].view == 1)
            #expect(h.delivered[id].last?.requests.map(\.timestamp) == [11])
        }
        let validator = MessageValidator(config: h.config)
        let newView = try #require(h.persisted[1].compactMap { record -> Signed<NewView>? in
            if case .signed(.newView(let m)) = record { return m } else { return nil }
        }.first)
        #expect(newView.payload.viewChanges.allSatisfy { $0.payload.stableSequence == 8 && $0.payload.checkpointProof.isEmpty })
        #expect(throws: Never.self) { try validator.validate(.newView(newView)) }
    }

    @Test func eachConfigurationRefusesTheOthersSequencesAndSignatures() {
        let old = Self.endedConfiguration()
        let new = Self.nextConfiguration(after: old)
        let oldValidator = MessageValidator(config: old.config)
        let newValidator = MessageValidator(config: new.config)
        let digest = Digest.sha256("batch")
        #expect(throws: ValidationError.numberOutOfRange(.prepare)) {
            try oldValidator.validate(.prepare(old.sign(Prepare(view: 0, sequence: 9, digest: digest), as: 1)))
        }
        #expect(throws: ValidationError.numberOutOfRange(.commit)) {
            try newValidator.validate(.commit(new.sign(Commit(view: 0, sequence: 8, digest: digest), as: 1)))
        }
        #expect(throws: ValidationError.notACheckpointSequence(12)) {
            try oldValidator.validate(.checkpoint(old.sign(Checkpoint(sequence: 12, stateDigest: digest), as: 1)))
        }
        // The same key at the same slot: signed for epoch 0, it does not verify in epoch 1.
        #expect(throws: ValidationError.badSignature(.prepare, sender: 1)) {
            try newValidator.validate(.prepare(old.sign(Prepare(view: 0, sequence: 9, digest: digest), as: 1)))
        }
        // Only the origin goes without a proof; a proofless view change claiming another
        // checkpoint is refused.
        let origin = ViewChange(newView: 1, stableSequence: 8, stableDigest: new.config.origin.digest, checkpointProof: [], prepared: [])
        let forged = ViewChange(newView: 1, stableSequence: 12, stableDigest: digest, checkpointProof: [], prepared: [])
        #expect(throws: Never.self) { try newValidator.validate(.viewChange(new.sign(origin, as: 2))) }
        #expect(throws: ValidationError.badCheckpointProof("0 signers, need 4")) {
            try newValidator.validate(.viewChange(new.sign(forged, as: 2)))
        }
    }
}
