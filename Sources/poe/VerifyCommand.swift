import ArgumentParser
import PoECrypto
import PoELedger
import PoENode

/// `poe verify`: offline check of a result proof (and output) against genesis.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a result proof offline against the genesis validator set, and an output against it.",
        discussion: """
            Needs no network: the proof's attestations must be signed by a quorum of the \
            genesis validators' node keys, for this chain and job, all for one result digest. \
            Exits non-zero on any failure. See docs/SUBMITTER.md.
            """)

    @Option(name: .long, help: "The proof file written by `poe result --proof`.")
    var proof: String
    @Option(name: .long, help: "The chain's genesis.json (the trusted validator set).")
    var genesis: String
    @Option(name: .long, help: "The job's output: its SHA-256 must equal the attested output hash.")
    var output: String?

    func run() throws {
        let trusted = try CLIFiles.genesis(genesis)
        let proofBytes = try CLIFiles.read(proof, what: "proof", bytesMax: NodeClient.binaryBytesMax)
        let outputBytes = try output.map { try CLIFiles.read($0, what: "output", bytesMax: NodeClient.binaryBytesMax) }
        try VerifyCommand.verifyAndPrint(proofBytes: proofBytes, genesis: trusted, output: outputBytes)
    }

    /// Checks a proof (and the output, if given) against the genesis set and prints the
    /// report; a failure is the command's error.
    static func verifyAndPrint(proofBytes: [UInt8], genesis: Genesis, output: [UInt8]?) throws {
        let report: ProofCheckReport
        do {
            report = try ProofCheck.verify(proofBytes: proofBytes, genesis: genesis, output: output)
        } catch {
            throw CommandFailure("verification FAILED: \(error.description)")
        }
        printReport(report)
    }

    static func printReport(_ report: ProofCheckReport) {
        let proof = report.proof
        print("chain        \(proof.chainID)")
        print("job          \(proof.jobID.hex) (matches chain, submitter, nonce \(proof.nonce) and spec)")
        print("submitter    \(proof.submitter.hex)")
        print("digest       \(proof.agreedDigest.hex)")
        print("outcome      \(report.outcome) (profile \(report.profile.short); the digest commits to both)")
        print("signatures   \(report.signers) of \(report.setSize) validators (quorum \(report.quorum)), all valid")
        print("output hash  \(report.outputHash.hex)\(report.outputVerified ? " (matches the output)" : "")")
        print("VERIFIED")
    }
}
