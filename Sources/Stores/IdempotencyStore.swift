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

/// The stored answers to earlier requests.
public protocol IdempotencyStore: Sendable {
    /// The stored answer of (device, key) when its fingerprint matches; nil when the key is new;
    /// 409 `idempotency_conflict` when it was used with a different request. A read before any
    /// consuming work (liveness); the unit of work checks again inside its transaction, so two
    /// identical requests racing still get the same answer.
    func storedResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) async throws -> IdempotentResponse?
}
