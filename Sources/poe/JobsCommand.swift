import ArgumentParser
import PoECrypto
import PoELedger
import PoENode

/// `poe jobs`: the most recent jobs, of one submitter (your key) and one status.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List the most recent jobs, newest first: yours with --key, or anyone's.")

    @OptionGroup var options: NodeClientOptions

    @Option(name: .long, help: "List the jobs of this key file's account.")
    var key: String?
    @Option(name: .long, help: "List the jobs of this account (64 hex digits).")
    var submitter: String?
    @Option(name: .long, help: "Only jobs in this state: pending, finalized, settled or failed.")
    var status: String?
    @Option(name: .long, parsing: .unconditional, help: "How many (1...\(Ledger.recentRowsMax)).")
    var limit: Int = 20

    func validate() throws {
        guard key == nil || submitter == nil else { throw ValidationError("give --key or --submitter, not both") }
        if let submitter, (try? PublicKey(hex: submitter)) == nil {
            throw ValidationError("--submitter must be a 64-hex-digit public key")
        }
        if let status, !["pending", "finalized", "settled", "failed"].contains(status) {
            throw ValidationError("--status must be pending, finalized, settled or failed")
        }
        guard (1...Ledger.recentRowsMax).contains(limit) else { throw ValidationError("--limit must be in 1...\(Ledger.recentRowsMax)") }
    }

    func run() async throws {
        var account: PublicKey?
        if let key {
            do { account = try KeyFile.read(from: key).publicKey } catch { throw CommandFailure(error.description) }
        } else if let submitter {
            account = try PublicKey(hex: submitter)
        }
        let client = try options.client()
        let list = try await calling { () async throws(NodeClientError) in
            try await client.jobs(submitter: account, status: status, limit: limit)
        }
        print("height \(list.height), \(list.jobs.count) job\(list.jobs.count == 1 ? "" : "s")")
        for job in list.jobs {
            let agreement = "\(job.leadingAttestations) agree (quorum \(job.quorum)), \(job.attestations) of \(job.validatorCount) attested"
            print("\(job.id)  \(job.status.padding(toLength: 9, withPad: " ", startingAt: 0))  submitted \(job.submitHeight), deadline \(job.deadlineHeight), fee \(job.fee), \(agreement)")
        }
    }
}
