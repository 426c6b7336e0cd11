public import PoEDuties
public import Foundation
import PoECrypto
public import PoELedger

/// The local-cluster harness behind `poe cluster` and the README's main command: N node
/// processes on loopback (some faulty on purpose), the example jobs submitted through
/// the HTTP API, a live table, and a report that checks what matters.
public final class ClusterHarness {
    public struct Options {
        public var nodes = 4
        public var faults: [Int: FaultMode] = [:]
        /// A node to `kill -9` once the jobs are submitted, and restart a moment later.
        public var crash: Int?
        public var jobs: [HarnessJob] = []
        public var timeoutSeconds: Double = 180
        public var peerPortBase = 26600
        public var apiPortBase = 26700
        /// Redraws the live table in place (a terminal); otherwise prints a line now and then.
        public var redraw = false

        public init() {}
    }

    /// Heights a job's validators have to attest: short, so that a job with a silent
    /// validator settles soon after the others attest.
    static let deadlineHeights: UInt64 = 30

    let options: Options
    let processes: ProcessCluster
    let clients: [NodeClient]
    let genesis: Genesis
    let client: PrivateKey
    let print: (String) -> Void

    public init(options: Options, folder: URL, executable: URL, print: @escaping (String) -> Void) throws {
        precondition(options.nodes >= 1)
        self.options = options
        self.print = print
        var testnet = Testnet(nodeCount: options.nodes, chainID: "poe-local")
        testnet.peerPortBase = options.peerPortBase
        testnet.apiPortBase = options.apiPortBase
        testnet.faults = options.faults
        testnet.consensus.tickMilliseconds = 20
        // An idle chain gains a height a second, as with the default 50 ms tick: a job's
        // deadline in heights is then at least that many seconds of running time.
        testnet.consensus.emptyBatchTicks = 50
        testnet.parameters.jobDeadlineHeightsMax = 10_000
        processes = try ProcessCluster(folder: folder, testnet: testnet, executable: executable)
        clients = try processes.cluster.members.map { try NodeClient(baseURL: "http://\($0.api)", timeoutSeconds: 10) }
        genesis = try NodeHome(path: processes.cluster.members[0].home).genesis()
        client = try KeyFile.read(from: processes.cluster.clientKey)
    }

    public var folder: URL { processes.folder }

    /// Runs the whole scenario; the nodes are stopped whatever happens.
    public func run() async throws -> HarnessReport {
        try processes.startAll()
        do {
            let report = try await scenario()
            await processes.stopAll()
            return report
        } catch {
            await processes.stopAll()
            throw error
        }
    }

    private func scenario() async throws -> HarnessReport {
        print("== \(options.nodes) nodes starting in \(folder.path)")
        for member in processes.cluster.members {
            print("   \(member.name)  status page http://\(member.api)/  key \(member.nodeKey.short)  log \(member.home)/node.log")
        }
        try await waitUntil("for every node to link to every other", seconds: 60) {
            var linked = 0
            for (index, client) in clients.enumerated() {
                try checkAlive(index)
                if let status = try? await client.status(), status.peersConnected == options.nodes - 1 { linked += 1 }
            }
            return linked == options.nodes
        }
        let before = try await validatorBalances()
        let submitted = try await submitJobs()
        if let crash = options.crash {
            try await Task.sleep(for: .milliseconds(300))
            print("== kill -9 \(processes.cluster.members[crash].name)")
            processes.kill(crash)
            try await Task.sleep(for: .seconds(2))
            print("== restarting \(processes.cluster.members[crash].name)")
            try processes.start(crash)
        }
        let finalized = try await follow(submitted)
        let roots = try await settleAndCompareRoots()
        let after = try await validatorBalances()
        let jobReports = try await checkProofs(submitted, finalized: finalized)
        let validators = processes.cluster.members.enumerated().map { index, member in
            HarnessValidatorReport(
                name: member.name, fault: options.faults[index], bondBefore: before[index].bond,
                bondAfter: after[index].bond, balanceBefore: before[index].balance, balanceAfter: after[index].balance,
                height: roots.statuses[index].height, stateRoot: roots.statuses[index].stateRoot)
        }
        return HarnessReport(jobs: jobReports, validators: validators, honestRootsAgree: roots.agree, folder: folder)
    }

    func checkAlive(_ index: Int) throws {
        if let status = processes.exitStatus(index) {
            throw HarnessError.nodeExited(name: processes.cluster.members[index].name, status: status, log: processes.logPath(index))
        }
    }

    func waitUntil(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else { throw HarnessError.timedOut("waiting \(what)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The node to talk to: the first one running.
    func anyClient() -> NodeClient {
        let index = (0..<options.nodes).first { processes.isRunning($0) } ?? 0
        return clients[index]
    }
}
