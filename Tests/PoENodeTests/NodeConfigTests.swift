import Foundation
import PoENode
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
}
