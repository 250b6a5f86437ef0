/// A JSON value with exactly one textual form, for what gets hashed (audit events).
///
/// The form is RFC 8785 (JCS) for the subset allowed here: objects with keys sorted by UTF-16
/// code units, no whitespace, strings with only `"`, `\` and control characters escaped
/// (`\b \f \n \r \t`, otherwise `\u00xx` in lower case), integers in plain decimal. There are no
/// floating-point numbers: their text is not canonical across platforms, and money is integer
/// minor units anyway (a ratio goes in as a fixed-point integer, e.g. `score_millis`).
public enum CanonicalJSON: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The canonical text.
    public var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    public func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .integer(let value): output += String(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            let keys = Self.sortedKeys(members.keys)
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    /// JCS key order: by UTF-16 code units. For ASCII keys (all of the ledger's) that is byte
    /// order, which is much cheaper to compare than a transcoded UTF-16 view.
    static func sortedKeys(_ keys: Dictionary<String, CanonicalJSON>.Keys) -> [String] {
        if keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            return keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        return keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
    }

    public static func writeString(_ value: String, to output: inout String) {
        output += "\""
        // Fast path: nothing to escape (ids, codes, currencies).
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            output += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\u{08}": output += "\\b"
                case "\u{0C}": output += "\\f"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}

extension CanonicalJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: CanonicalJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, CanonicalJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }

    /// `.string(value)` or `.null`.
    public static func optional(_ value: String?) -> CanonicalJSON { value.map(CanonicalJSON.string) ?? .null }
    /// `.integer(value)` or `.null`.
    public static func optional(_ value: Int64?) -> CanonicalJSON { value.map(CanonicalJSON.integer) ?? .null }
}
