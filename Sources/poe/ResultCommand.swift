import ArgumentParser
import PoECrypto
import PoELedger
import PoENode

/// `poe result`: downloads a finalized job's output and proof, and with --genesis checks both.
struct ResultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "result",
        abstract: "Download a finalized job's output and proof; with --genesis, verify them.")

    @OptionGroup var options: NodeClientOptions

    @Argument(help: "The job ID (64 hex digits).")
    var jobID: String
    @Option(name: .long, help: "Write the output here (default: print it if it is short text).")
    var out: String?
    @Option(name: .long, help: "Write the proof (canonical bytes) here.")
    var proof: String?
    @Option(name: .long, help: "The chain's genesis.json: verify the proof and output against its validator set.")
    var genesis: String?
    @Option(name: .long, help: "Write the job's log (what it wrote to stderr, as attested) here.")
    var log: String?

    static let inlineOutputBytesMax = 4096

    func run() async throws {
        let id = try CLIFiles.digest(jobID, what: "the job ID")
        let trusted = try genesis.map(CLIFiles.genesis)
        let client = try options.client()
        let proofBytes = try await calling { () async throws(NodeClientError) in try await client.proofBytes(id) }
        let output = try await calling { () async throws(NodeClientError) in try await client.output(id) }
        if let proof { try CLIFiles.write(proofBytes, to: proof, what: "the proof") }
        if let out { try CLIFiles.write(output, to: out, what: "the output") }
        print("job          \(id.hex)")
        print("proof        \(proofBytes.count) bytes\(proof.map { " -> \($0)" } ?? "")")
        print("output       \(output.count) bytes, sha256 \(Digest.sha256(output).hex)\(out.map { " -> \($0)" } ?? "")")
        if let log {
            let job = try await calling { () async throws(NodeClientError) in try await client.job(id) }
            guard let agreed = job.agreedDigest, let entry = job.attestations.first(where: { $0.resultDigest == agreed }),
                let logHash = Digest(hex: entry.logHash)
            else { throw CommandFailure("the job has no agreed result, so no attested log") }
            let bytes = try await calling { () async throws(NodeClientError) in try await client.blob(logHash) }
            guard Digest.sha256(bytes) == logHash else { throw CommandFailure("the node served a log that does not match its hash") }
            try CLIFiles.write(bytes, to: log, what: "the log")
            print("log          \(bytes.count) bytes, sha256 \(logHash.hex) -> \(log)")
        }
        if let trusted {
            try VerifyCommand.verifyAndPrint(proofBytes: proofBytes, genesis: trusted, output: output)
        } else {
            print("not verified (pass --genesis genesis.json, or run `poe verify` later)")
        }
        if out == nil, output.count <= ResultCommand.inlineOutputBytesMax, let text = String(validating: output, as: UTF8.self) {
            print("--- output ---")
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
