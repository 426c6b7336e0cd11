import ArgumentParser

@main
struct Poe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe",
        abstract: "Proof-of-execution network: keys, jobs, simulation.",
        subcommands: [KeygenCommand.self, RunCommand.self])
}
