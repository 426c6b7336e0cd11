import PBFT
import PoECrypto
import PoELedger
import PoEWire

/// The state at a stable checkpoint, as one node sends it to another that fell behind:
/// the ledger snapshot and the replica's client table. The receiver checks both against
/// the checkpoint digest a quorum signed before it uses either.
struct StateArchive: WireCodable {
    var sequence: UInt64
    var ledger: LedgerSnapshot
    var clientTable: ClientTable

    func encode(to writer: inout WireWriter) {
        writer.write(sequence)
        writer.write(ledger)
        writer.write(clientTable)
    }

    init(sequence: UInt64, ledger: LedgerSnapshot, clientTable: ClientTable) {
        self.sequence = sequence
        self.ledger = ledger
        self.clientTable = clientTable
    }

    /// Hands `append` the bytes of the archive at `sequence` (those of `wireBytes`) with
    /// the ledger's state streamed from its tables, and returns the state root: the
    /// checkpoint's memory does not grow with the state.
    static func stream(
        sequence: UInt64, ledger: Ledger, clientTable: ClientTable, to append: ([UInt8]) throws -> Void
    ) throws -> Digest {
        var head = WireWriter()
        head.write(sequence)
        try append(head.bytes)
        let root = try ledger.streamSnapshot(to: append)
        try append(clientTable.wireBytes)
        return root
    }

    init(from reader: inout WireReader) throws(WireError) {
        sequence = try reader.readUInt64()
        ledger = try reader.read()
        clientTable = try reader.read()
    }
}
