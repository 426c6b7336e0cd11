import Foundation
public import Logging
import NIOConcurrencyHelpers

/// How `poe node` writes its log.
public enum LogFormat: String, CaseIterable, Sendable {
    /// `2026-05-01T12:00:00.123Z info poe.node: job finalized digest=1a2b3c4d height=42 job=9f8e7d6c`
    case text
    /// One JSON object per line: `timestamp`, `level`, `logger`, `message`, then each
    /// metadata key as a field of its own.
    case json
}

/// Where log lines go. Each line is written whole, under one process-wide lock, so lines
/// of several loggers and threads never interleave.
public struct LogOutput: Sendable {
    let write: @Sendable (String) -> Void

    /// A custom destination, e.g. memory for a test.
    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// Standard error, unbuffered: a line is in the file the moment it is logged, so a
    /// node that crashes right after still shows its last words.
    public static let standardError = LogOutput { line in
        LogOutput.lock.withLock {
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            var written = 0
            while written < bytes.count {
                let result = bytes[written...].withUnsafeBytes { Foundation.write(STDERR_FILENO, $0.baseAddress, $0.count) }
                if result > 0 {
                    written += result
                } else if result < 0 && errno == EINTR {
                    continue
                } else {
                    return  // Nowhere left to report it; a log line is not worth stopping for.
                }
            }
        }
    }

    private static let lock = NIOLock()
}

/// The node's `LogHandler`: one line per event, as text or as JSON (`LogFormat`), with the
/// event's metadata, the handler's and its provider's merged (the event's win).
public struct NodeLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public let label: String
    public let format: LogFormat
    let output: LogOutput

    public init(label: String, format: LogFormat, output: LogOutput = .standardError) {
        self.label = label
        self.format = format
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let time = LogTimestamp.now()
        switch format {
        case .text: output.write(NodeLogHandler.textLine(time, event.level, label, "\(event.message)", merged))
        case .json: output.write(NodeLogHandler.jsonLine(time, event.level, label, "\(event.message)", merged))
        }
    }

    // MARK: text

    static func textLine(_ time: String, _ level: Logger.Level, _ label: String, _ message: String, _ metadata: Logger.Metadata) -> String {
        var line = "\(time) \(level.rawValue) \(label): \(message)"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            line += " \(key)=\(quotedIfNeeded(text(value)))"
        }
        return line
    }

    /// A value as one token: quoted (JSON-style) when it is empty or holds a space, a
    /// quote, `=` or a control character, so that `key=value` pairs split unambiguously.
    static func quotedIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\u{7f}" }
        return plain ? value : jsonString(value)
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return string
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return "[" + values.map(text).joined(separator: ", ") + "]"
        case .dictionary(let values):
            return "{" + values.keys.sorted().map { "\($0): \(values[$0].map(text) ?? "")" }.joined(separator: ", ") + "}"
        }
    }

    // MARK: JSON

    /// Fields the line itself uses; a metadata key with one of these names is written as
    /// `meta.<key>` so that it cannot hide them.
    static let reservedFields: Set<String> = ["timestamp", "level", "logger", "message"]

    static func jsonLine(_ time: String, _ level: Logger.Level, _ label: String, _ message: String, _ metadata: Logger.Metadata) -> String {
        var line = "{\"timestamp\":\(jsonString(time)),\"level\":\(jsonString(level.rawValue))"
        line += ",\"logger\":\(jsonString(label)),\"message\":\(jsonString(message))"
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            let field = reservedFields.contains(key) ? "meta.\(key)" : key
            line += ",\(jsonString(field)):\(json(value))"
        }
        return line + "}"
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): return jsonString(string)
        case .stringConvertible(let convertible): return jsonString(convertible.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.keys.sorted().map { "\(jsonString($0)):\(values[$0].map(json) ?? "null")" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
    static func jsonString(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// UTC wall-clock time with milliseconds, ISO 8601 (`2026-05-01T12:00:00.123Z`).
enum LogTimestamp {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return format(seconds: spec.tv_sec, milliseconds: Int(spec.tv_nsec / 1_000_000))
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
