public import Foundation

/// A local cluster of real node processes: `poe node --home ...` per node, each with
/// its log file. The harness (`poe cluster`) and the end-to-end tests drive it.
public final class ProcessCluster: @unchecked Sendable {
    public let folder: URL
    public let cluster: ClusterFile
    public let executable: URL
    private var processes: [Int: Process] = [:]
    private let lock = NSLock()

    /// - Parameters:
    ///   - executable: the `poe` binary to launch for each node.
    public init(folder: URL, testnet: Testnet, executable: URL) throws {
        self.folder = folder
        self.executable = executable
        cluster = try testnet.write(to: folder)
    }

    public var count: Int { cluster.members.count }

    public func logPath(_ index: Int) -> String { cluster.members[index].home + "/node.log" }

    /// Launches node `index`; its output goes to its home's `node.log` (appended).
    public func start(_ index: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["node", "--home", cluster.members[index].home]
        let path = logPath(index)
        if !FileManager.default.fileExists(atPath: path) {
            // The log names peers, jobs and accounts: as private as the rest of the home.
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes[index] = process }
    }

    public func startAll() throws {
        for index in 0..<count { try start(index) }
    }

    public func isRunning(_ index: Int) -> Bool {
        lock.withLock { processes[index]?.isRunning ?? false }
    }

    /// `kill -9`: no chance to flush or say goodbye.
    public func kill(_ index: Int) {
        guard let process = lock.withLock({ processes.removeValue(forKey: index) }) else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits up to `seconds` for a graceful exit before SIGKILL.
    public func stop(_ index: Int, seconds: Double = 10) async {
        guard let process = lock.withLock({ processes.removeValue(forKey: index) }) else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public func stopAll() async {
        for index in 0..<count { await stop(index) }
    }

    /// The exit status of a node that stopped by itself, or nil while it runs.
    public func exitStatus(_ index: Int) -> Int32? {
        lock.withLock {
            guard let process = processes[index], !process.isRunning else { return nil }
            return process.terminationStatus
        }
    }
}
