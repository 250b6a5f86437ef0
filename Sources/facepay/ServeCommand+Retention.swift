import FacePayCore
import Foundation

extension ServeCommand {
    /// The retention settings from flags, then FACEPAY_* variables, then the defaults. A value that
    /// is malformed or out of range stops start-up naming the flag and variable: silently falling
    /// back to a default would keep idempotency records for a period nobody chose.
    func retentionSettings(_ environment: [String: String]) throws -> RetentionSettings {
        var result = RetentionSettings()
        if let hours = try Self.setting(idempotencyRetentionHours, environment, "FACEPAY_IDEMPOTENCY_RETENTION_HOURS",
                                        flag: "--idempotency-retention-hours", in: 1.0 / 60...8_760, { Double($0) }) {
            result.idempotencyRetentionSeconds = hours * 3_600
        }
        if let seconds = try Self.setting(challengeRetentionSeconds, environment, "FACEPAY_CHALLENGE_RETENTION_SECONDS",
                                          flag: "--challenge-retention-seconds", in: 0...604_800, { Double($0) }) {
            result.challengeRetentionSeconds = seconds
        }
        if let rows = try Self.setting(purgeBatchRows, environment, "FACEPAY_PURGE_BATCH_ROWS",
                                       flag: "--purge-batch-rows", in: 1...100_000, { Int($0) }) {
            result.purgeBatchRowsMax = rows
        }
        if let seconds = try Self.setting(purgeIntervalSeconds, environment, "FACEPAY_PURGE_INTERVAL_SECONDS",
                                          flag: "--purge-interval-seconds", in: 1...86_400, { Double($0) }) {
            result.purgeIntervalSeconds = seconds
        }
        return result
    }

    /// The flag's value, else the variable's parsed with `parse`; either must lie in `range`
    /// (which also refuses NaN and infinities).
    static func setting<Value: Comparable>(_ flag: Value?, _ environment: [String: String], _ variable: String, flag name: String,
                                           in range: ClosedRange<Value>, _ parse: (String) -> Value?) throws -> Value? {
        let value: Value
        if let flag {
            value = flag
        } else if let text = environment[variable] {
            guard let parsed = parse(text.trimmingCharacters(in: .whitespaces)) else {
                throw FacePayError(.badRequest, code: "invalid_setting", detail: "\(variable)='\(text)' is not a number")
            }
            value = parsed
        } else {
            return nil
        }
        guard range.contains(value) else {
            throw FacePayError(.badRequest, code: "invalid_setting",
                               detail: "\(name) / \(variable) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
        return value
    }
}
