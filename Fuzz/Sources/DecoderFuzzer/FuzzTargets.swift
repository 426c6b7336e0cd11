import PBFT
import PoECrypto
import PoELedger
import PoEWire

/// Every decoder that reads bytes from the network or disk.
struct FuzzTargets {
    let selector: UInt8
    let run: ([UInt8]) -> Void

    static let all: [FuzzTargets] = [
        FuzzTargets(selector: 0) { checkCanonical(Digest.self, $0) },
        FuzzTargets(selector: 1) { checkCanonical(PublicKey.self, $0) },
        FuzzTargets(selector: 2) { checkCanonical(Signature.self, $0) },
        FuzzTargets(selector: 3) { checkCanonical(Envelope.self, $0) },
        FuzzTargets(selector: 4) { checkCanonical(Message.self, $0) },
        FuzzTargets(selector: 5) { checkCanonical(ClientRequest.self, $0) },
        FuzzTargets(selector: 6) { checkCanonical(ClientTable.self, $0) },
        FuzzTargets(selector: 7) { checkCanonical(SignedTransaction.self, $0) },
        FuzzTargets(selector: 8) { checkCanonical(TransactionBody.self, $0) },
        FuzzTargets(selector: 9) { checkCanonical(ResultProof.self, $0) },
        FuzzTargets(selector: 10) { checkCanonical(LedgerSnapshot.self, $0) },
        FuzzTargets(selector: 11) { checkCanonical(PoELedger.Batch.self, $0) },
        FuzzTargets(selector: 12) { checkCanonical(PBFT.Batch.self, $0) },
    ]
}

/// A structure with every field kind the format has (options, nested arrays,
/// strings, keys), exercising the reader's primitives directly.
struct Envelope: WireCodable {
    var kind: UInt8
    var sender: PublicKey
    var sequence: UInt64
    var memo: String
    var parents: [Digest]
    var payload: [UInt8]
    var signature: Signature?

    func encode(to writer: inout WireWriter) {
        writer.write(kind)
        writer.write(sender)
        writer.write(sequence)
        writer.writeString(memo, bound: 64)
        writer.writeArray(parents, bound: 8)
        writer.writeBytes(payload, bound: 1024)
        writer.writeOptional(signature)
    }

    init(from reader: inout WireReader) throws(WireError) {
        kind = try reader.readUInt8()
        sender = try reader.read()
        sequence = try reader.readUInt64()
        memo = try reader.readString(bound: 64, field: "memo")
        parents = try reader.readArray(Digest.self, bound: 8, minElementBytes: 32, field: "parents")
        payload = try reader.readBytes(bound: 1024, field: "payload")
        signature = try reader.readOptional(Signature.self, field: "signature")
    }
}
