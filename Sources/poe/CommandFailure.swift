/// A failure the user can act on: ArgumentParser prints its description as
/// "Error: ..." without the usage text, and exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
