import PBFT
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

    init(from reader: inout WireReader) throws(WireError) {
        sequence = try reader.readUInt64()
        ledger = try reader.read()
        clientTable = try reader.read()
    }
}
