/// Why a byte string is not the canonical encoding of a value.
///
/// Decoding never traps: every malformed input ends in one of these.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before the value did.
    case truncated(needed: Int, remaining: Int)
    /// A length or count prefix is larger than the bound the field allows.
    case lengthOverBound(field: String, length: UInt64, bound: Int)
    /// Bytes were left after the value ended.
    case trailingBytes(count: Int)
    /// A boolean or option tag other than 0 or 1.
    case invalidTag(field: String, tag: UInt8)
    /// A string whose bytes are not valid UTF-8.
    case invalidUTF8(field: String)
    /// A value that is well formed but out of the range its type allows.
    case invalidValue(field: String, reason: String)

    public var description: String {
        switch self {
        case .truncated(let needed, let remaining):
            return "input truncated: needed \(needed) bytes, \(remaining) remaining"
        case .lengthOverBound(let field, let length, let bound):
            return "\(field): length \(length) exceeds bound \(bound)"
        case .trailingBytes(let count):
            return "\(count) trailing bytes after the value"
        case .invalidTag(let field, let tag):
            return "\(field): invalid tag \(tag)"
        case .invalidUTF8(let field):
            return "\(field): not valid UTF-8"
        case .invalidValue(let field, let reason):
            return "\(field): \(reason)"
        }
    }
}
