/// Every configurable bound of the server in one place (TigerBeetle's "put a limit on
/// everything"). Defaults are the product's; `facepay serve` overrides them from flags and
/// FACEPAY_* environment variables.
public struct Limits: Sendable, Equatable {
    /// Largest request body accepted; larger gets 413 before it is buffered.
    public var bodyBytesMax: Int = 1 << 20
    /// Idempotency-Key length, inclusive.
    public var idempotencyKeyCharactersMax: Int = 255
    /// Requests being handled at once; beyond it the server answers 503 at once.
    public var inFlightRequestsMax: Int = 1024
    /// Group-commit: payments per SQLite transaction and callers waiting to be batched.
    public var commitBatchMax: Int = 512
    public var commitQueueMax: Int = 8192
    /// Auditor paging.
    public var pageSizeDefault: Int = 100
    public var pageSizeMax: Int = 1000

    public init() {}
}
