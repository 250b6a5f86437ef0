import FacePayCore
import Foundation
import GRDB
import Stores

extension AppDatabase {
    /// The stored response for (device, key) when the fingerprint matches; nil when the key is
    /// new; 409 `idempotency_conflict` when it was used with a different request. A read, used
    /// before expensive or consuming work (liveness) — `Idempotency.run` checks again inside the
    /// write transaction, so a race between two identical requests still answers both the same.
    public func idempotentResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) throws -> IdempotentResponse? {
        precondition(IdempotencyKey.isValid(key, charactersMax: Idempotency.keyCharactersMax), "the use case validates the Idempotency-Key")
        // One SELECT: no read transaction needed (see `device(id:)`).
        return try pool.unsafeRead { db in try Idempotency.storedResponse(db, deviceID: deviceID, key: key, fingerprint: fingerprint) }
    }
}
