import PoEExecutor

/// "266 of 2000" — and, when the run ran out of fuel with fuel left, why: a host call or
/// a memory growth is charged whole before it runs, so the run stops at the first charge
/// above what is left (the unused remainder is not charged, and is part of the digest).
func fuelText(_ result: ExecutionResult, limit: UInt64) -> String {
    let text = "\(result.fuelUsed) of \(limit)"
    guard result.outcome == .outOfFuel, result.fuelUsed < limit else { return text }
    return text + " (stopped at a charge above the \(limit - result.fuelUsed) left: a host call or memory growth; raise --fuel)"
}
