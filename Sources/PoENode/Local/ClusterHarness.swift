public import PoEDuties
public import Foundation
public import PoECrypto
public import PoELedger

/// A job the harness submits: its code and input, and its limits.
public struct HarnessJob: Sendable {
    public var name: String
    public var code: [UInt8]
    public var input: [UInt8]
    public var fuelLimit: UInt64

    public init(name: String, code: [UInt8], input: [UInt8], fuelLimit: UInt64) {
        self.name = name
        self.code = code
        self.input = input
        self.fuelLimit = fuelLimit
    }

    /// The example jobs of `cluster/jobs`: word count, model training, a float-heavy
    /// simulation, and a job that never ends (stopped by its fuel limit).
    public static func examples(folder: URL) throws -> [HarnessJob] {
        func file(_ name: String) throws -> [UInt8] {
            let path = folder.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError.missing(path) }
            return [UInt8](data)
        }
        return [
            HarnessJob(name: "wordcount", code: try file("wordcount.wasm"), input: try file("wordcount-input.txt"), fuelLimit: 10_000_000),
            HarnessJob(name: "logreg", code: try file("logreg.wasm"), input: try file("logreg-data.csv"), fuelLimit: 100_000_000),
            HarnessJob(name: "nbody", code: try file("nbody.wasm"), input: try file("nbody-input.txt"), fuelLimit: 20_000_000),
            HarnessJob(name: "forever", code: try file("forever.wasm"), input: [], fuelLimit: 20_000_000),
        ]
    }
}

public enum HarnessError: Error, CustomStringConvertible {
    case missing(String)
    case timedOut(String)
    case nodeExited(name: String, status: Int32, log: String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path) not found"
        case .timedOut(let what): return "timed out \(what)"
        case .nodeExited(let name, let status, let log): return "\(name) exited with status \(status); see \(log)"
        }
    }
}

/// One job's fate as the harness saw it.
public struct HarnessJobReport: Sendable {
    public var name: String
    public var jobID: Digest
    public var status: String
    public var agreedDigest: String?
    public var finalizedAfterMs: Double?
    public var attestations: Int
    /// Checked offline against genesis, with the output's hash.
    public var proofVerified: Bool
    public var proofProblem: String?
    public var outputPreview: String
}

/// One validator's account of the run.
public struct HarnessValidatorReport: Sendable {
    public var name: String
    public var fault: FaultMode?
    public var bondBefore: UInt64
    public var bondAfter: UInt64
    public var balanceBefore: UInt64
    public var balanceAfter: UInt64
    public var height: UInt64
    public var stateRoot: String
}

public struct HarnessReport: Sendable {
    public var jobs: [HarnessJobReport]
    public var validators: [HarnessValidatorReport]
    /// True when every honest node reported the same height and state root.
    public var honestRootsAgree: Bool
    public var folder: URL

    public var finalizedCount: Int { jobs.filter { $0.agreedDigest != nil }.count }
}
