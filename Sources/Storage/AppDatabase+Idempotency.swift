import FacePayCore
import Foundation
import GRDB

extension AppDatabase {
    /// The stored response for (device, key) when the fingerprint matches; nil when the key is
    /// new; 409 `idempotency_conflict` when it was used with a different request. A read, used
    /// before expensive or consuming work (liveness) — `Idempotency.run` checks again inside the
    /// write transaction, so a race between two identical requests still answers both the same.
    public func idempotentResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) throws -> IdempotentResponse? {
        try Idempotency.validateKey(key)
        return try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT request_sha256, response_status, response_body FROM idempotency_records WHERE device_id = ? AND key = ?
                """, arguments: [deviceID, key]) else { return nil }
            guard row["request_sha256"] as String == fingerprint.hex else {
                throw FacePayError(.conflict, code: "idempotency_conflict",
                                   detail: "Idempotency-Key '\(key)' was already used with a different request")
            }
            return IdempotentResponse(status: row["response_status"], body: row["response_body"], replayed: true)
        }
    }
}
