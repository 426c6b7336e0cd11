import Foundation
import PoEDuties
@testable import PoENode
import Testing

/// config.json is an operator's file: what it leaves out takes its default, and a value
/// the consensus core would assert on is a clear error at start.
@Suite struct NodeConfigTests {
    func home(config: String) throws -> NodeHome {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poe-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let home = NodeHome(root: folder)
        try Data(config.utf8).write(to: URL(fileURLWithPath: home.configPath))
        return home
    }

    func config(consensus: String) -> String {
        #"{"name": "node0", "peerListen": "127.0.0.1:26600", "apiListen": "127.0.0.1:26700", "consensus": \#(consensus)}"#
    }

    @Test func leftOutTuningKeepsItsDefaults() throws {
        let loaded = try home(config: config(consensus: #"{"batchSizeMax": 32}"#)).config()
        var expected = ConsensusTuning()
        expected.batchSizeMax = 32
        #expect(loaded.consensus == expected)
    }

    @Test(arguments: [
        (#"{"batchSizeMax": 0}"#, "batchSizeMax"),
        (#"{"batchSizeMax": 100000}"#, "batchSizeMax"),
        (#"{"checkpointInterval": 16, "windowSize": 40}"#, "windowSize"),
        (#"{"checkpointInterval": 0}"#, "checkpointInterval"),
        (#"{"retransmitTicks": 0}"#, "retransmitTicks"),
        (#"{"pendingRequestsMax": 0}"#, "pendingRequestsMax"),
        (#"{"tickMilliseconds": 0}"#, "tickMilliseconds"),
    ])
    func anOutOfBoundsValueIsAClearError(consensus: String, field: String) throws {
        let home = try home(config: config(consensus: consensus))
        #expect {
            try home.config()
        } throws: { error in
            guard case NodeHomeError.invalidConfig(let message) = error else { return false }
            return message.contains(field)
        }
    }

    @Test(arguments: [
        (#"{"name": "n", "peerListen": "127.0.0.1:1", "apiListen": "127.0.0.1:2", "consensus": {}, "jobRunnerSlot": 2}"#, "unknown field jobRunnerSlot"),
        (#"{"name": "n", "peerListen": "127.0.0.1:1", "apiListen": "127.0.0.1:2", "consensus": {"batchSize": 3}}"#, "unknown field consensus.batchSize"),
        (#"{"name": "n", "peerListen": "127.0.0.1:1", "apiListen": "127.0.0.1:2", "consensus": {}, "blobs": {"storeBytes": 1}}"#, "unknown field blobs.storeBytes"),
    ])
    func aMisspeltFieldIsAClearErrorNotASilentDefault(json: String, expected: String) throws {
        let home = try home(config: json)
        #expect {
            try home.config()
        } throws: { error in
            guard case NodeHomeError.invalidConfig(let message) = error else { return false }
            return message.contains(expected)
        }
    }

    /// The lists of known fields follow the types: a field added to a type and not to its
    /// list would be refused as unknown.
    @Test func theKnownFieldListsAreEveryFieldOfTheTypes() throws {
        var config = NodeConfig(
            name: "n", peerListen: "127.0.0.1:1", apiListen: "127.0.0.1:2", peerBacklogFramesMax: 8, fault: .wrongResult,
            jobRunnerSlots: 2, executionProfiles: ["p"], blobs: BlobLimits())
        config.consensus.emptyBatchTicks = 5
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        #expect(Set(object.keys) == NodeConfig.fieldNames)
        #expect(Set(try #require(object["consensus"] as? [String: Any]).keys) == ConsensusTuning.fieldNames)
        #expect(Set(try #require(object["blobs"] as? [String: Any]).keys) == BlobLimits.fieldNames)
        // And a home written by `poe testnet` loads.
        let home = try home(config: String(decoding: try JSONEncoder().encode(config), as: UTF8.self))
        #expect(try home.config() == config)
    }
}
