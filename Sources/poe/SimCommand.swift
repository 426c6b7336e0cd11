import ArgumentParser
import PoESim

/// `poe sim`: runs the PBFT replicas over the deterministic simulator, seed after seed.
struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run whole validators over a simulated network, clock, disk and executor; check safety and liveness.",
        discussion: "Each seed draws its cluster's faults (loss, duplication, heavy-tailed delay, partitions, crashes of "
            + "one node or of every node at once, Byzantine replicas and attesters, slow jobs) and replays bit for bit. "
            + "A failing seed is printed as SEED=<n> with the command that replays it.")

    @Option(help: "How many seeds to run.")
    var seeds: Int = 100

    @Option(help: "The first seed (use with --seeds 1 to replay one run).")
    var seed: UInt64 = 1

    @Option(help: "Cluster size: 4 or 7 (or any n from 1 to 64). Default: alternate 4 and 7.")
    var replicas: Int?

    @Flag(help: "Print every fault, view change and violation of each run.")
    var verbose = false

    @Flag(help: "Turn off network faults, crashes and Byzantine replicas (happy path).")
    var noFaults = false

    @Flag(help: "TESTING ONLY: enable the deliberately wrong new-view rule that ignores prepared certificates.")
    var unsafeIgnorePreparedCertificates = false

    @Flag(help: "TESTING ONLY: enable the deliberately wrong duty rule: no jobs taken up after a state install.")
    var unsafeIgnoreJobsAfterStateInstall = false

    func validate() throws {
        guard seeds >= 1 else { throw ArgumentParser.ValidationError("--seeds must be at least 1") }
        if let replicas, !(1...64).contains(replicas) { throw ArgumentParser.ValidationError("--replicas must be in 1...64") }
    }

    func run() throws {
        let sizes = replicas.map { [$0] } ?? [4, 7]
        let clock = ContinuousClock()
        var elapsedBySize: [Int: Duration] = [:]
        var countBySize: [Int: Int] = [:]
        var failures = 0
        var coverage = (
            viewChanged: 0, byzantine: 0, crashes: 0, allAtOnce: 0, transfers: 0, resumes: 0, messages: 0, requests: 0,
            jobs: 0, empty: 0
        )
        let start = clock.now
        for offset in 0..<seeds {
            var options = SimOptions(seed: seed &+ UInt64(offset), replicaCount: sizes[offset % sizes.count])
            options.verbose = verbose
            options.unsafeIgnorePreparedCertificates = unsafeIgnorePreparedCertificates
            options.unsafeIgnoreJobsAfterStateInstall = unsafeIgnoreJobsAfterStateInstall
            if noFaults {
                options.networkFaults = false
                options.crashes = false
                options.byzantine = false
            }
            let began = clock.now
            let result = Simulator.run(options)
            let size = result.replicaCount
            elapsedBySize[size, default: .zero] += clock.now - began
            countBySize[size, default: 0] += 1
            coverage.viewChanged += result.highestView > 0 ? 1 : 0
            coverage.byzantine += result.byzantineCount > 0 ? 1 : 0
            coverage.crashes += result.crashes
            coverage.allAtOnce += result.allNodeCrashes
            coverage.transfers += result.stateTransfers
            coverage.resumes += result.localResumes
            coverage.jobs += result.jobsFinalized
            coverage.messages += result.messagesDelivered
            coverage.requests += result.requestsCompleted
            coverage.empty += result.emptyBatches
            if verbose || !result.passed { print(result.summary) }
            if (offset + 1) % 5_000 == 0 {
                print("progress: \(offset + 1) seeds, \(failures) with violations, \(seconds(clock.now - start)) s")
            }
            if !result.passed {
                failures += 1
                print("SEED=\(result.seed) n=\(size) FAILED")
                for violation in result.violations { print("  \(violation)") }
                print("  replay: poe sim --seed \(result.seed) --seeds 1 --replicas \(size) --verbose"
                      + (unsafeIgnorePreparedCertificates ? " --unsafe-ignore-prepared-certificates" : "")
                      + (unsafeIgnoreJobsAfterStateInstall ? " --unsafe-ignore-jobs-after-state-install" : ""))
            }
        }
        let total = clock.now - start
        print("seeds: \(seeds), passed: \(seeds - failures), with violations: \(failures), wall time: \(seconds(total)) s")
        print("coverage: \(coverage.viewChanged) seeds changed view, \(coverage.byzantine) had Byzantine validators, "
              + "\(coverage.crashes) crashes (\(coverage.allAtOnce) of every node at once), "
              + "\(coverage.transfers) state transfers, \(coverage.resumes) resumes from a node's own checkpoint, "
              + "\(coverage.empty) empty batches, \(coverage.requests) operations completed, \(coverage.jobs) jobs finalized, "
              + "\(coverage.messages) messages delivered")
        for size in countBySize.keys.sorted() {
            let perMinute = Double(countBySize[size]!) * 60 / max(seconds(elapsedBySize[size]!), 1e-9)
            print("n=\(size): \(countBySize[size]!) seeds, \(Int(perMinute)) seeds/minute")
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
