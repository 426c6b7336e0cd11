/// How a Byzantine replica misbehaves. It runs the real replica code; the simulator
/// rewrites, drops or adds to what it sends (or drops what it receives).
public enum ByzantineBehaviour: String, CaseIterable, Sendable {
    /// Sends nothing.
    case silent
    /// As primary, sends a different batch to half the backups (re-signed: real equivocation).
    case equivocatingPrimary
    /// Every signature it sends is corrupted.
    case invalidSignatures
    /// Re-sends old messages it received or sent, across views.
    case replay
    /// Signs votes and checkpoints for views and sequence numbers far in the future.
    case farFuture
    /// Signs view changes for random higher views on every tick.
    case viewChangeSpam
    /// As primary, never proposes the requests of client 0.
    case censor
}
