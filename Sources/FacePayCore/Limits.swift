/// Every configurable bound of the server in one place (TigerBeetle's "put a limit on
/// everything"). Defaults are the product's; `facepay serve` overrides them from flags and
/// FACEPAY_* environment variables. Each bound is read by the code that enforces it.
public struct Limits: Sendable, Equatable {
    /// Largest request body accepted; larger gets 413 before it is buffered.
    public var bodyBytesMax: Int = 1 << 20
    /// Idempotency-Key length, inclusive (at most 255: the idempotency table's CHECK).
    public var idempotencyKeyCharactersMax: Int = 255
    /// Requests being handled at once; beyond it the server answers 503 `overloaded` at once.
    /// A terminal sends one request at a time on its keep-alive connection, so this only bites
    /// when many connections are busy together; past it, queueing would only add latency.
    public var inFlightRequestsMax: Int = 512
    /// Open API connections (TLS or not yet); past it the listener stops accepting until one
    /// closes (new connections wait in the kernel's backlog). One per terminal, kiosk or
    /// auditor, with room for reconnects.
    public var connectionsMax: Int = 1024
    /// A keep-alive connection with no request for this long is closed. Longer than the usual
    /// client pool timeout (60 s), so the client closes first and never reuses a connection the
    /// server is closing (nginx's keepalive_timeout default is the same 75 s).
    public var idleTimeoutSeconds: Double = 75
    /// From accepting a connection to a completed TLS handshake; a client that stalls in the
    /// handshake is cut off after it.
    public var tlsHandshakeTimeoutSeconds: Double = 10
    /// From a request's first header byte to the last byte of its body. A request that drips
    /// in slower is cut off: one slow client must not hold a connection slot indefinitely.
    public var requestReadTimeoutSeconds: Double = 30
    /// Group-commit: payments per SQLite transaction and callers waiting to be batched.
    public var commitBatchMax: Int = 512
    public var commitQueueMax: Int = 8192
    /// Group-commit on PostgreSQL: units per transaction on a node (each in a savepoint, a
    /// subtransaction; PostgreSQL caches 64 per backend before every snapshot gets slower, so at
    /// most 64). The queue bound is `commitQueueMax`.
    public var postgresBatchMax: Int = 32
    /// After a PostgreSQL batch of several units, a node waits at most this long for the callers
    /// it just answered to send their next write before it takes a smaller batch (0: no wait, but
    /// still one suspension). Without it, at steady load the callers split into two halves that
    /// alternate, each batch half as full (SCALING.md, "gathering").
    public var postgresGatherMicroseconds: Int = 200
    /// Auditor paging.
    public var pageSizeDefault: Int = 100
    public var pageSizeMax: Int = 1000

    public init() {}

    /// What a connection timeout may be: positive, finite, at most a day.
    public static let timeoutSecondsRange: ClosedRange<Double> = 0.001...86_400

    /// Programmer or operator errors in the bounds stop the process at start-up (the CLI
    /// validates first and names the flag; this is the last line).
    public func validate() {
        precondition(bodyBytesMax > 0 && idempotencyKeyCharactersMax > 0, "body and key bounds must be positive")
        precondition(idempotencyKeyCharactersMax <= 255, "the idempotency table stores keys of at most 255 characters")
        precondition(inFlightRequestsMax > 0 && connectionsMax > 0, "request and connection bounds must be positive")
        for seconds in [idleTimeoutSeconds, tlsHandshakeTimeoutSeconds, requestReadTimeoutSeconds] {
            precondition(Self.timeoutSecondsRange.contains(seconds), "timeouts must be within \(Self.timeoutSecondsRange)")
        }
        precondition(commitBatchMax > 0 && commitQueueMax > 0, "commit bounds must be positive")
        precondition((1...64).contains(postgresBatchMax), "a PostgreSQL batch holds 1 to 64 units")
        precondition((0...10_000).contains(postgresGatherMicroseconds), "a PostgreSQL batch waits 0 to 10,000 µs for more units")
        precondition(pageSizeDefault > 0 && pageSizeDefault <= pageSizeMax, "need 0 < pageSizeDefault ≤ pageSizeMax")
    }
}
