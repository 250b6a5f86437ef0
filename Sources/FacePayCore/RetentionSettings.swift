/// How long the server keeps rows that only serve a short-lived purpose, so that no table grows
/// without bound under steady traffic (`RetentionPurgeService`). `facepay serve` sets them from
/// flags and FACEPAY_* variables.
public struct RetentionSettings: Sendable, Equatable {
    /// Idempotency records older than this are deleted: a retry with the same key after it is a new
    /// request. 24 h, as Stripe keeps keys: a terminal retries within seconds or minutes, and a day
    /// covers an outage and a till reopened the next morning.
    public var idempotencyRetentionSeconds: Double = 86_400
    /// Challenges are deleted this long after they expire. Until then a late use still answers
    /// `challenge_expired` (or `challenge_used`) rather than `challenge_unknown`; after it the row
    /// serves nothing.
    public var challengeRetentionSeconds: Double = 3_600
    /// Rows deleted per write transaction: a backlog never holds the writer for long.
    public var purgeBatchRowsMax: Int = 1_000
    /// Real time between purge passes.
    public var purgeIntervalSeconds: Double = 60

    public init() {}
}
