import Foundation

/// What every state-changing unit of work commits with: the calling device's Idempotency-Key
/// (validated by the use case), the fingerprint of exactly what it sent, and the time of the
/// decision. The store keeps the answer under (device, key) in the same transaction as the
/// effects, or keeps neither.
public struct IdempotencyFrame: Sendable {
    public let deviceID: String
    public let key: String
    public let fingerprint: RequestFingerprint
    public let now: Date

    public init(deviceID: String, key: String, fingerprint: RequestFingerprint, now: Date) {
        self.deviceID = deviceID
        self.key = key
        self.fingerprint = fingerprint
        self.now = now
    }
}

/// The answer a unit of work stores: a status and the exact bytes the edge encoded. The store
/// keeps them opaque (it knows nothing of HTTP); the edge asserts that the status is one.
public struct StoredResponse: Sendable, Equatable {
    public let status: Int
    public let body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// A (device, key) held by one request while it is handled (`IdempotencyStore.claim`).
public struct IdempotencyClaim: Sendable, Equatable {
    public let deviceID: String
    public let key: String
    /// Names this holder, so that releasing never drops a claim another request took over.
    public let token: String

    public init(deviceID: String, key: String, token: String) {
        self.deviceID = deviceID
        self.key = key
        self.token = token
    }
}

/// The stored answers to earlier requests.
public protocol IdempotencyStore: Sendable {
    /// Holds (device, key) for one request across every process serving this store, before the
    /// request reads or consumes anything; nil while another request holds it and its lease
    /// (`leaseSeconds` from its claim) has not run out — a node that died mid-request blocks
    /// its key for at most the lease. (A store that one process owns may answer at once: the
    /// process's own in-flight set already decides.)
    func claim(deviceID: String, key: String, now: Date, leaseSeconds: Double) async throws -> IdempotencyClaim?

    /// Lets the key go once its request ended (its answer is stored, or nothing was).
    func release(_ claim: IdempotencyClaim) async

    /// The stored answer of (device, key) when its fingerprint matches; nil when the key is new;
    /// 409 `idempotency_conflict` when it was used with a different request. A read before any
    /// consuming work (liveness); the unit of work checks again inside its transaction, so two
    /// identical requests racing still get the same answer.
    func storedResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) async throws -> IdempotentResponse?
}
