import Synchronization

/// The (device, Idempotency-Key) pairs whose request is being handled right now.
///
/// Why: the stored answer is written only when the first request commits, so without this a
/// retry that arrives while the original is still running would start a second run — consume a
/// challenge that is already used, fail liveness, count a lockout failure and often commit its
/// decline first, so the original's approval would then be answered as that decline. A claimed
/// key makes the retry a 409 `idempotency_in_progress` that touches nothing (Stripe's behaviour);
/// the first request's answer stands and is what later retries get.
///
/// In memory, per process: one `facepay serve` process owns a device's requests at a time on
/// SQLite. Several nodes on PostgreSQL also claim the key in the store (`IdempotencyStore.claim`,
/// a row each node sees), after this set. Bounded by `Limits.inFlightRequestsMax` (one claim per
/// request being handled).
final class InFlightIdempotencyKeys: Sendable {
    private struct Claim: Hashable {
        let deviceID: String
        let key: String
    }

    private let claims = Mutex<Set<Claim>>([])

    init() {}

    /// True when this call now holds the key; false when another request already does.
    func claim(deviceID: String, key: String) -> Bool {
        claims.withLock { $0.insert(Claim(deviceID: deviceID, key: key)).inserted }
    }

    func release(deviceID: String, key: String) {
        _ = claims.withLock { $0.remove(Claim(deviceID: deviceID, key: key)) }
    }

    /// Keys held now (tests).
    var count: Int { claims.withLock { $0.count } }
}
