public import PoENodeCore
import ArgumentParser
import Foundation
import PoECrypto
import PoEExecutor
import PoELedger
import PoENode

/// `poe submit`: uploads a job's code and input, signs and submits the job, and with
/// `--wait` follows it until it is finalized or has failed.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Upload a WebAssembly job's code and input, submit the job, and optionally wait for its result.",
        discussion: """
            The code and input are uploaded as content-addressed blobs to --node and to every \
            --upload-to node. The job is signed with --key using the account's next nonce. \
            With --dry-run nothing is uploaded or sent: the job is run here, under the chain's \
            execution profile and with its real job ID, and its outcome and result digest are \
            printed — what honest validators will attest. See docs/SUBMITTER.md.
            """)

    @OptionGroup var options: NodeClientOptions

    @Option(name: .long, help: "The submitter's key file (made with `poe keygen`).")
    var key: String
    @Option(name: .long, help: "The WebAssembly module.")
    var code: String
    @Option(name: .long, help: "The input file given to the job on stdin (default: empty).")
    var input: String?
    @Option(name: .long, help: "The exported function to call.")
    var entry = "_start"
    static let fuelDefault: UInt64 = 100_000_000
    static let deadlineFloor: UInt64 = 20

    @Option(name: .long, parsing: .unconditional, help: "Fuel limit (about one unit per WebAssembly instruction).")
    var fuel: UInt64 = SubmitCommand.fuelDefault
    @Option(name: .long, parsing: .unconditional, help: "Memory limit in 64 KiB pages.")
    var memoryPages: UInt32 = JobExecution.memoryLimitPagesDefault
    @Option(name: .long, parsing: .unconditional, help: "Fee held in escrow and paid to the validators that agree.")
    var fee: UInt64 = 100
    @Option(
        name: .long, parsing: .unconditional,
        help: "Heights after commit during which validators may attest (default: the shortest that fits --fuel at the chain's fuel per height, at least 20).")
    var deadline: UInt64?
    @Flag(name: .long, help: "Run the job here and print its job ID, outcome, fuel and result digest; send nothing.")
    var dryRun = false
    @Flag(name: .long, help: "Wait and print progress until the job is finalized, fails, or --timeout passes.")
    var wait = false
    @Option(name: .long, parsing: .unconditional, help: "Seconds to wait with --wait.")
    var timeout: Int = 120
    @Option(name: .long, help: "Another node to upload the code and input to (repeatable).")
    var uploadTo: [String] = []

    func validate() throws {
        guard !entry.isEmpty, entry.utf8.count <= JobSpec.entryPointBytesMax else {
            throw ValidationError("--entry must be 1 to \(JobSpec.entryPointBytesMax) bytes")
        }
        guard fuel > 0 else { throw ValidationError("--fuel must be positive") }
        guard memoryPages > 0, memoryPages <= JobSpec.memoryLimitPagesMax else {
            throw ValidationError("--memory-pages must be in 1...\(JobSpec.memoryLimitPagesMax)")
        }
        if let deadline, deadline == 0 { throw ValidationError("--deadline must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func run() async throws {
        let signer: PrivateKey
        do { signer = try KeyFile.read(from: key) } catch { throw CommandFailure(error.description) }
        let codeBytes = try CLIFiles.read(code, what: "code", bytesMax: APILimits.blobBytesMax)
        guard codeBytes.starts(with: [0x00, 0x61, 0x73, 0x6D]) else {
            throw CommandFailure("\(code) is not a WebAssembly module (it does not start with \\0asm)")
        }
        let inputBytes = try input.map { try CLIFiles.read($0, what: "input", bytesMax: APILimits.blobBytesMax) } ?? []
        let client = try options.client()
        let chain = try await calling { () async throws(NodeClientError) in try await client.chain() }
        let account = try await calling { () async throws(NodeClientError) in try await client.account(signer.publicKey) }
        let nonce = account.nonce + 1
        let spec = JobSpec(
            code: .hash(Digest.sha256(codeBytes)), inputHash: Digest.sha256(inputBytes), entryPoint: entry,
            fuelLimit: fuel, memoryLimitPages: memoryPages, deadlineHeights: deadline ?? defaultDeadline(chain.parameters))
        if let problem = spec.problem(parameters: chain.parameters) { throw CommandFailure("invalid job: \(problem)") }
        guard account.balance >= fee else {
            throw CommandFailure("the account \(signer.publicKey.short) holds \(account.balance), less than the fee \(fee)")
        }
        let jobID = JobID.compute(chainID: chain.chainID, submitter: signer.publicKey, nonce: nonce, spec: spec)
        if dryRun {
            try runLocally(spec: spec, jobID: jobID, code: codeBytes, input: inputBytes, profile: chain.parameters.executionProfile)
            print("nothing was sent (--dry-run); submitting now with nonce \(nonce) gives this job ID")
            return
        }
        let codeHash = try await upload(codeBytes, what: "code", main: client, signer: signer)
        let inputHash = try await upload(inputBytes, what: "input", main: client, signer: signer)
        precondition(codeHash == Digest.sha256(codeBytes) && inputHash == Digest.sha256(inputBytes))
        let transaction = SignedTransaction.make(signer: signer, nonce: nonce, body: .submitJob(spec: spec, fee: fee))
        let id = try await calling { () async throws(NodeClientError) in try await client.submit(transaction) }
        print("submitter    \(signer.publicKey.hex) (nonce \(nonce), balance \(account.balance))")
        print("transaction  \(id.hex)")
        print("job          \(jobID.hex) (fuel \(fuel), deadline \(spec.deadlineHeights) heights)")
        if wait {
            try await JobWaiter(client: client, transactionID: id, jobID: jobID, timeoutSeconds: timeout).run()
        }
    }

    /// The shortest deadline that fits the fuel at the chain's rate, and no shorter than
    /// `deadlineFloor`.
    private func defaultDeadline(_ parameters: LedgerParameters) -> UInt64 {
        let perHeight = parameters.jobFuelPerHeightMax
        return max(SubmitCommand.deadlineFloor, fuel / perHeight + (fuel % perHeight == 0 ? 0 : 1))
    }

    /// Runs the job as a validator will: its real ID, the chain's profile, the spec's limits.
    private func runLocally(spec: JobSpec, jobID: Digest, code: [UInt8], input: [UInt8], profile name: String) throws {
        let profile: ExecutionProfile
        do { profile = try Executor.profile(named: name) } catch {
            throw CommandFailure("this build cannot run the chain's execution profile \(name) (it runs \(error.supported))")
        }
        let execution = JobExecution(
            jobID: jobID, codeHash: Digest.sha256(code), inputHash: Digest.sha256(input), entry: spec.entryPoint,
            fuelLimit: spec.fuelLimit, memoryLimitPages: spec.memoryLimitPages)
        let result = Executor.run(execution, code: code, input: input, profile: profile)
        print("job          \(jobID.hex)")
        print("profile      \(profile.name)")
        print("outcome      \(result.outcome)")
        print("fuel         \(fuelText(result, limit: spec.fuelLimit))")
        print("output       \(result.outputHash.hex) (\(result.output.count) bytes)")
        print("digest       \(result.resultDigest.hex)")
    }

    /// Uploads to --node (a failure stops the submit) and to every --upload-to (a failure
    /// there is a warning: the validators can still fetch the blob from --node).
    private func upload(_ bytes: [UInt8], what: String, main: NodeClient, signer: PrivateKey) async throws -> Digest {
        let hash = try await calling { () async throws(NodeClientError) in try await main.uploadBlob(bytes, signedBy: signer) }
        var copies = 1
        // Each node once: --node is already done, and a URL given twice counts once.
        for url in Set(uploadTo).subtracting([options.node]).sorted() {
            let extra = try options.client(url: url)
            do {
                _ = try await extra.uploadBlob(bytes, signedBy: signer)
                copies += 1
            } catch {
                FileHandle.standardError.write(Data("warning: \(what) not uploaded to \(url): \(error.description)\n".utf8))
            }
        }
        print("\(what.padding(toLength: 12, withPad: " ", startingAt: 0)) \(hash.hex) (\(bytes.count) bytes, uploaded to \(copies) node\(copies == 1 ? "" : "s"))")
        return hash
    }
}

/// Polls a submitted job and prints each change of `JobProgress` until it is final.
struct JobWaiter {
    static let pollInterval = Duration.milliseconds(500)
    static let heartbeat = Duration.seconds(5)
    /// `poe submit --wait`'s status when the job finalized with an outcome other than a
    /// clean exit (1 is for a job that failed or was refused).
    static let unsuccessfulOutcomeExitCode: Int32 = 3

    let client: NodeClient
    let transactionID: Digest
    let jobID: Digest
    let timeoutSeconds: Int

    func run() async throws {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(timeoutSeconds)
        var last: JobProgress?
        var printed = clock.now
        var unreachable = false
        while clock.now < end {
            guard let progress = try await poll() else {
                if !unreachable { print("unreachable  the node does not answer; waiting for it until --timeout") }
                unreachable = true
                try await Task.sleep(for: JobWaiter.pollInterval)
                continue
            }
            unreachable = false
            if progress != last {
                print(progress.line)
                printed = clock.now
            } else if clock.now - printed >= JobWaiter.heartbeat {
                // Still waiting: say so, with where the chain is against the deadline.
                print(try await heartbeat(progress, secondsLeft: Int((end - clock.now).components.seconds)))
                printed = clock.now
            }
            last = progress
            if progress.isFinal {
                if progress.isFailure { throw ExitCode.failure }
                // Finalized, but the job itself did not end well (out of fuel, a trap, a
                // non-zero exit): the validators agree on that, and the caller should know.
                if case .finalized(_, _, _, _, let outcome) = progress, outcome != "success(exit 0)" {
                    throw ExitCode(JobWaiter.unsuccessfulOutcomeExitCode)
                }
                return
            }
            try await Task.sleep(for: JobWaiter.pollInterval)
        }
        throw CommandFailure("timed out after \(timeoutSeconds) s; last state: \(last?.line ?? "unknown")")
    }

    private func heartbeat(_ progress: JobProgress, secondsLeft: Int) async throws -> String {
        let height = (try? await client.status().height).map { "height \($0)" } ?? "height ?"
        switch progress {
        case .committed(_, let attestations, _, let quorum, let deadline):
            let left = (try? await client.status().height).map { deadline > $0 ? "\(deadline - $0) heights to the deadline" : "at the deadline" }
            return "waiting      \(height), attestations \(attestations)/\(quorum) needed, \(left ?? "?"), \(secondsLeft) s left of --timeout"
        case .unseen, .pending, .rejected, .refused, .finalized, .failed:
            return "waiting      \(height), \(secondsLeft) s left of --timeout"
        }
    }

    /// The job's progress, or nil while the node cannot be reached (it may be restarting:
    /// the wait goes on until --timeout).
    private func poll() async throws -> JobProgress? {
        let transaction: TransactionStatusResponse?
        do {
            transaction = try await client.transactionStatus(transactionID)
        } catch where error.isNotFound {
            transaction = nil
        } catch {
            if error.isUnreachable { return nil }
            throw error.failure
        }
        if let transaction, transaction.status == "committed" {
            let job = try await calling { () async throws(NodeClientError) in try await client.job(jobID) }
            return JobProgress(transaction: transaction, job: job)
        }
        guard transaction == nil || transaction?.status == "pending" else { return JobProgress(transaction: transaction, job: nil) }
        // A node that caught up by state transfer holds no receipt of the heights it
        // skipped, so it cannot find a transaction ordered in one of them; but the job that
        // transaction created is in the state it installed, under an ID only this
        // submitter's nonce and spec give.
        guard let job = try? await client.job(jobID) else { return JobProgress(transaction: transaction, job: nil) }
        return JobProgress(
            transaction: TransactionStatusResponse(status: "committed", height: job.submitHeight, jobID: jobID.hex), job: job)
    }
}
