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
        var writer = WireWriter()
        writer.writeString("poe/v1/state-root", bound: 64)
        writer.write(genesisDigest)
        writer.write(meta)
        writer.write(LedgerSnapshot.tableDigest("account", accounts))
        writer.write(LedgerSnapshot.tableDigest("validator", validators))
        writer.write(LedgerSnapshot.tableDigest("epochMember", epochMembers))
        writer.write(LedgerSnapshot.tableDigest("code", codes))
        writer.write(LedgerSnapshot.tableDigest("job", jobs))
        writer.write(LedgerSnapshot.tableDigest("attestation", attestations))
        writer.write(LedgerSnapshot.tableDigest("anchor", anchors))
        writer.write(LedgerSnapshot.tableDigest("evidence", evidence))
        return Digest.sha256(writer.bytes)
    }

    static func tableDigest<Row: WireEncodable>(_ name: String, _ rows: [Row]) -> Digest {
        var hasher = SHA256Hasher()
        var header = WireWriter()
        header.writeString(name, bound: 64)
        header.write(UInt64(rows.count))
        hasher.update(header.bytes)
        for row in rows { hasher.update(row.wireBytes) }
        return hasher.finalize()
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
