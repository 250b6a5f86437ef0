import FacePayCore

/// Reads each `facepay serve` setting from its flag, else its FACEPAY_* environment variable,
/// else leaves the product default. A value that does not parse, or lies outside its range,
/// stops start-up with a message naming the flag or the variable: a typo in a deployment's
/// environment must never fall back silently to a default (or to `inf`, which passes a `>=`).
/// An empty variable counts as unset, as env files write `NAME=` for "not set".
struct SettingsReader {
    let environment: [String: String]

    /// A number within `range`. `Double` parses "inf" and "nan": neither is inside a range.
    func number<T: LosslessStringConvertible & Comparable>(
        _ flag: T?, flag flagName: String, variable: String, in range: ClosedRange<T>
    ) throws -> T? {
        if let flag {
            guard range.contains(flag) else { throw Self.invalid("--\(flagName)", "\(flag)", expected: "\(range.lowerBound)…\(range.upperBound)") }
            return flag
        }
        guard let text = text(variable) else { return nil }
        guard let value = T(text), range.contains(value) else {
            throw Self.invalid(variable, text, expected: "a number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// An on/off switch: the flag, or the variable as 1/true/yes or 0/false/no.
    func switchOn(_ flag: Bool, variable: String) throws -> Bool {
        if flag { return true }
        guard let text = text(variable) else { return false }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw Self.invalid(variable, text, expected: "1/true/yes or 0/false/no")
        }
    }

    /// One of `choices`.
    func choice(_ flag: String?, flag flagName: String, variable: String, in choices: [String]) throws -> String? {
        if let flag {
            guard choices.contains(flag) else { throw Self.invalid("--\(flagName)", flag, expected: choices.joined(separator: ", ")) }
            return flag
        }
        guard let text = text(variable) else { return nil }
        guard choices.contains(text) else { throw Self.invalid(variable, text, expected: choices.joined(separator: ", ")) }
        return text
    }

    /// The variable's text, nil when unset or empty.
    func text(_ variable: String) -> String? {
        guard let value = environment[variable], !value.isEmpty else { return nil }
        return value
    }

    static func invalid(_ name: String, _ value: String, expected: String) -> FacePayError {
        // The value is shown only when short: a mistyped secret must not end up in a log.
        let shown = value.count <= 32 ? "'\(value)'" : "a \(value.count)-character value"
        return FacePayError(.badRequest, code: "invalid_setting", detail: "\(name) is \(shown); expected \(expected)")
    }
}
