import ArgumentParser
import PoECrypto
import PoENode

/// `poe job`: a job's state and its attestations.
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Print a job's status, agreed digest and attestations.")

    @OptionGroup var options: NodeClientOptions

    @Argument(help: "The job ID (64 hex digits), as printed by `poe submit`.")
    var jobID: String

    func run() async throws {
        let id = try CLIFiles.digest(jobID, what: "the job ID")
        let client = try options.client()
        let job = try await calling { () async throws(NodeClientError) in try await client.job(id) }
        JobCommand.printJob(job)
    }

    static func printJob(_ job: JobResponse) {
        func row(_ name: String, _ value: String) { print(name.padding(toLength: 16, withPad: " ", startingAt: 0) + value) }
        row("job", job.id)
        row("status", job.status)
        row("submitter", job.submitter)
        row("fee", "\(job.fee) (escrow \(job.escrow))")
        row("epoch", "\(job.epoch)")
        row("heights", "submitted \(job.submitHeight), deadline \(job.deadlineHeight)")
        row("code hash", job.codeHash)
        row("input hash", job.inputHash)
        row("entry / fuel", "\(job.entryPoint) / \(job.fuelLimit)")
        row("agreed digest", job.agreedDigest.map { "\($0) (anchored at height \(job.anchorHeight.map(String.init) ?? "?"))" } ?? "none yet")
        if let outcome = job.agreedOutcome { row("outcome", outcome) }
        if let output = job.agreedOutputHash { row("output hash", output) }
        row("attestations", "\(job.attestations.count) of \(job.validatorCount), quorum \(job.quorum)")
        if job.agreedDigest == nil, !job.splits.isEmpty {
            row("split", job.splits.map(\.summary).joined(separator: ", "))
        }
        for attestation in job.attestations {
            let mark = attestation.resultDigest == job.agreedDigest ? "=" : (job.agreedDigest == nil ? " " : "≠")
            print("  \(mark) \(attestation.validator.prefix(16))  \(attestation.outcome)  digest \(attestation.resultDigest.prefix(16))  output \(attestation.outputHash.prefix(16))  fuel \(attestation.fuelUsed)  height \(attestation.height)")
        }
    }
}
