import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import PoENode

/// Lines a test logger wrote.
final class CapturedLines: Sendable {
    private let box = NIOLockedValueBox<[String]>([])
    var lines: [String] { box.withLockedValue { $0 } }
    var output: LogOutput { LogOutput { [box] line in box.withLockedValue { $0.append(line) } } }

    /// The JSON lines, decoded.
    var objects: [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

@Suite struct NodeLogHandlerTests {
    func logger(_ format: LogFormat, _ captured: CapturedLines) -> Logger {
        var logger = Logger(label: "poe.test") { NodeLogHandler(label: $0, format: format, output: captured.output) }
        logger.logLevel = .info
        return logger
    }

    @Test func jsonLinesCarryTheMetadataAsFields() throws {
        let captured = CapturedLines()
        var logger = logger(.json, captured)
        logger[metadataKey: "node"] = "node0"
        logger.info(
            "job settled \"with\" slashes\n", metadata: ["job": "1a2b3c4d", "slashed": "1", "message": "clash", "tags": ["a", "b"]])
        logger.debug("below the level")
        #expect(captured.lines.count == 1)
        let object = try #require(captured.objects.first, "\(captured.lines)")
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "poe.test")
        #expect(object["message"] as? String == "job settled \"with\" slashes\n")
        #expect(object["job"] as? String == "1a2b3c4d")
        #expect(object["node"] as? String == "node0")
        #expect(object["meta.message"] as? String == "clash", "a metadata key never hides a line's own field")
        #expect(object["tags"] as? [String] == ["a", "b"])
        let timestamp = try #require(object["timestamp"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(timestamp)")
        #expect(!captured.lines[0].contains("\n"), "one line per event")
    }

    @Test func controlCharactersAreEscaped() throws {
        #expect(NodeLogHandler.jsonString("a\u{1}b\u{7f}") == #""a\u0001b\u007f""#)
        let captured = CapturedLines()
        logger(.json, captured).warning("bell\u{7}", metadata: ["reason": "tab\there"])
        let object = try #require(captured.objects.first)
        #expect(object["message"] as? String == "bell\u{7}")
        #expect(object["reason"] as? String == "tab\there")
    }

    @Test func textLinesAreReadableAndSplitUnambiguously() {
        let captured = CapturedLines()
        logger(.text, captured).notice("validator slashed", metadata: ["peer": "9f8e7d6c", "reason": "attested another digest"])
        let line = captured.lines.first ?? ""
        #expect(line.hasSuffix(#" notice poe.test: validator slashed peer=9f8e7d6c reason="attested another digest""#), "\(line)")
    }

    @Test func timestampsAreUTC() {
        #expect(LogTimestamp.format(seconds: 0, milliseconds: 7) == "1970-01-01T00:00:00.007Z")
        #expect(LogTimestamp.format(seconds: 1_767_225_599, milliseconds: 999) == "2025-12-31T23:59:59.999Z")
    }
}
