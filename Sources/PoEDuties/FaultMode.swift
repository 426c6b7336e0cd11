/// How a validator misbehaves toward jobs on purpose: for testnets and the simulator,
/// which must show that the ledger pays the honest and punishes these. Consensus is
/// untouched by it (the replica stays honest).
public enum FaultMode: String, Codable, Sendable, CaseIterable {
    /// Attests a wrong result digest for every job. Every node in this mode derives the
    /// same wrong digest from the right one, so two of them collude on one lie.
    case wrongResult = "wrong-result"
    /// Never attests (it still takes part in consensus).
    case silentAttester = "silent-attester"
    /// Signs two different attestations for every job and sends both.
    case equivocate = "equivocate"
}
