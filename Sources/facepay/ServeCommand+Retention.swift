import FacePayCore
import Foundation

extension ServeCommand {
    /// The retention settings from flags, then FACEPAY_* variables, then the defaults (a
    /// malformed or out-of-range value stops start-up naming it, as every setting does): silently
    /// falling back would keep idempotency records for a period nobody chose.
    func retentionSettings(_ reader: SettingsReader) throws -> RetentionSettings {
        var result = RetentionSettings()
        if let hours = try reader.number(idempotencyRetentionHours, flag: "idempotency-retention-hours",
                                         variable: "FACEPAY_IDEMPOTENCY_RETENTION_HOURS", in: 1.0 / 60...8_760) {
            result.idempotencyRetentionSeconds = hours * 3_600
        }
        if let seconds = try reader.number(challengeRetentionSeconds, flag: "challenge-retention-seconds",
                                           variable: "FACEPAY_CHALLENGE_RETENTION_SECONDS", in: 0...604_800) {
            result.challengeRetentionSeconds = seconds
        }
        if let rows = try reader.number(purgeBatchRows, flag: "purge-batch-rows", variable: "FACEPAY_PURGE_BATCH_ROWS", in: 1...100_000) {
            result.purgeBatchRowsMax = rows
        }
        if let seconds = try reader.number(purgeIntervalSeconds, flag: "purge-interval-seconds",
                                           variable: "FACEPAY_PURGE_INTERVAL_SECONDS", in: 1...86_400) {
            result.purgeIntervalSeconds = seconds
        }
        return result
    }
}
