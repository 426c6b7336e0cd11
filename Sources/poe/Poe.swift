import ArgumentParser

@main
struct Poe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe",
        abstract: "Proof-of-execution network: keys, testnets, nodes, jobs, simulation.",
        subcommands: [
            KeygenCommand.self, KeyCommand.self, TestnetCommand.self, NodeCommand.self, ClusterCommand.self,
            TransferCommand.self, RegisterCommand.self, UnbondCommand.self, WithdrawCommand.self, JobsCommand.self,
            SubmitCommand.self, JobCommand.self, ResultCommand.self, VerifyCommand.self, StatusCommand.self,
            RunCommand.self, SimCommand.self, BenchCommand.self,
        ])
}
