// Biometric values and match scores must never reach a log (SPEC: "No biometric value is ever
// logged"; scores go only into audit events). String interpolation, `print` and logger metadata
// all go through these descriptions, so they say what a value is without its numbers. Code that
// needs the numbers (the audit event) reads the properties.

extension Embedding: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "Embedding(dimension: \(dimension), values: redacted)" }
    public var debugDescription: String { description }
}

extension MatchCandidate: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String { "MatchCandidate(subjectID: \(subjectID), score: redacted)" }
    public var debugDescription: String { description }
}

extension MatchDecision: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        switch self {
        case .accepted(let subjectID, _, _): return "accepted(\(subjectID), score and margin redacted)"
        case .noMatch: return "noMatch(score redacted)"
        case .ambiguous(let best, let runnerUp): return "ambiguous(\(best.subjectID), \(runnerUp.subjectID), scores redacted)"
        case .hintRequired: return "hintRequired"
        }
    }

    public var debugDescription: String { description }
}
