public import PoECrypto
public import PoEWire

/// Every row of the ledger state, each table in primary-key order. A lagging node fetches
/// one, checks it against a state root it trusts (from a stable checkpoint), and restores.
/// Receipts are history, not state: they are neither in the snapshot nor in the root.
public struct LedgerSnapshot: Sendable, Equatable {
    public static let rowCountMax = 1 << 24

    public var genesisDigest: Digest
    public var meta: LedgerMeta
    public var accounts: [AccountState]
    public var validators: [ValidatorState]
    public var epochMembers: [EpochMember]
    public var codes: [CodeEntry]
    public var jobs: [JobState]
    public var attestations: [AttestationRecord]
    public var anchors: [AnchorEntry]
    public var evidence: [EvidenceRecord]

    /// The state root: SHA-256 over a tag, the genesis digest, the counters, and one digest
    /// per table, each table hashed as its name, row count and rows' canonical encodings.
    public var stateRoot: Digest {
        LedgerSnapshot.root(genesis: genesisDigest, meta: meta, tables: [
            LedgerSnapshot.tableDigest("account", accounts),
            LedgerSnapshot.tableDigest("validator", validators),
            LedgerSnapshot.tableDigest("epochMember", epochMembers),
            LedgerSnapshot.tableDigest("code", codes),
            LedgerSnapshot.tableDigest("job", jobs),
            LedgerSnapshot.tableDigest("attestation", attestations),
            LedgerSnapshot.tableDigest("anchor", anchors),
            LedgerSnapshot.tableDigest("evidence", evidence),
        ])
    }

    /// The root over the table digests, in the order above (`Store.streamSnapshot` builds
    /// it from a stream of rows, this type from rows in memory: one definition for both).
    static func root(genesis: Digest, meta: LedgerMeta, tables: [Digest]) -> Digest {
        precondition(tables.count == 8, "the state root covers eight tables")
        var writer = WireWriter()
        writer.writeString("poe/v1/state-root", bound: 64)
        writer.write(genesis)
        writer.write(meta)
        for table in tables { writer.write(table) }
        return Digest.sha256(writer.bytes)
    }

    static func tableDigest<Row: WireEncodable>(_ name: String, _ rows: [Row]) -> Digest {
        var hasher = TableHasher(name, count: rows.count)
        for row in rows { hasher.update(row.wireBytes) }
        return hasher.finalize()
    }

    /// One table's digest, a row at a time: its name and row count, then each row's encoding.
    struct TableHasher: ~Copyable {
        private var hasher = SHA256Hasher()

        init(_ name: String, count: Int) {
            var header = WireWriter()
            header.writeString(name, bound: 64)
            header.write(UInt64(count))
            hasher.update(header.bytes)
        }

        mutating func update(_ rowBytes: [UInt8]) { hasher.update(rowBytes) }

        consuming func finalize() -> Digest { hasher.finalize() }
    }

    /// Tokens held anywhere: balances, bonds, unbonding stakes, escrowed fees, burned.
    /// Equals `meta.minted` in every reachable state.
    public var accountedSupply: UInt64 {
        var total = meta.burned
        for account in accounts { total += account.balance }
        for validator in validators { total += validator.bond + validator.unbonding }
        for job in jobs { total += job.escrow }
        return total
    }
}

extension LedgerSnapshot: WireCodable {
    public func encode(to writer: inout WireWriter) {
        writer.write(genesisDigest)
        writer.write(meta)
        writer.writeArray(accounts, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(validators, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(epochMembers, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(codes, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(jobs, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(attestations, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(anchors, bound: LedgerSnapshot.rowCountMax)
        writer.writeArray(evidence, bound: LedgerSnapshot.rowCountMax)
    }

    public init(from reader: inout WireReader) throws(WireError) {
        let bound = LedgerSnapshot.rowCountMax
        genesisDigest = try reader.read()
        meta = try reader.read()
        accounts = try reader.readArray(bound: bound, minElementBytes: 48, field: "accounts")
        validators = try reader.readArray(bound: bound, minElementBytes: 101, field: "validators")
        epochMembers = try reader.readArray(bound: bound, minElementBytes: 72, field: "epoch members")
        codes = try reader.readArray(bound: bound, minElementBytes: 76, field: "codes")
        jobs = try reader.readArray(bound: bound, minElementBytes: 200, field: "jobs")
        attestations = try reader.readArray(bound: bound, minElementBytes: 240, field: "attestations")
        anchors = try reader.readArray(bound: bound, minElementBytes: 72, field: "anchors")
        evidence = try reader.readArray(bound: bound, minElementBytes: 72, field: "evidence")
    }
}
