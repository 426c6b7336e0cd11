import ArgumentParser
import PoECrypto

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a secp256k1 key and write it to a file readable only by you.")

    @Option(name: .shortAndLong, help: "Where to write the key (refuses to overwrite).")
    var out: String

    func run() throws {
        let key = PrivateKey.generate()
        do {
            try KeyFile.write(key, to: out)
        } catch {
            throw CommandFailure(error.description)
        }
        print("wrote \(out)")
        print("public key: \(key.publicKey.hex)")
    }
}
