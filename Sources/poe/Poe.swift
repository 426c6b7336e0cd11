import ArgumentParser
import Foundation

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

    /// ArgumentParser's own main, except that a parse error names a mistyped option when
    /// there is one (`UnknownOption`).
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if let unknown = UnknownOption.first(in: arguments, root: self) {
                FileHandle.standardError.write(Data((unknown.message + "\n").utf8))
                exit(withError: ExitCode.validationFailure)
            }
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
