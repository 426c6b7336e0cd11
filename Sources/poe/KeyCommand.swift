import ArgumentParser
import PoECrypto

/// `poe key show FILE`: the public key of an existing key file.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Read key files.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the public key of a key file (made with `poe keygen` or `poe testnet`).")

        @Argument(help: "The key file.")
        var file: String

        func run() throws {
            let key: PrivateKey
            do { key = try KeyFile.read(from: file) } catch { throw CommandFailure(error.description) }
            print(key.publicKey.hex)
        }
    }
}
