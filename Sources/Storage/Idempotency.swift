import Crypto
import FacePayCore
import Foundation
import GRDB
import Stores

/// The one idempotency wrapper of every state-changing endpoint (`Idempotency-Key`, scoped to
/// the calling device).
///
/// It runs inside the caller's SQLite transaction (a `pool.write` or a `GroupCommitWriter`
/// submission), so the stored response commits together with the effects of the operation
/// that produced it, or neither does: a crash between the two cannot happen.
public enum Idempotency {
    /// The longest key the schema's CHECK admits; the use cases validate the caller's key (see
    /// `IdempotencyKey`, bounded by `Limits.idempotencyKeyCharactersMax`) before it reaches a store.
    public static let keyCharactersMax = 255

    /// The stored response of (device, key) when its fingerprint matches; nil when the key is new;
    /// 409 `idempotency_conflict` when it was used with a different request.
    static func storedResponse(_ db: Database, deviceID: String, key: String,
                               fingerprint: RequestFingerprint) throws -> IdempotentResponse? {
        var lookup = try RawStatement(db, """
            SELECT request_sha256, response_status, response_body FROM idempotency_records
            WHERE device_id = ? AND key = ?
            """)
        lookup.bind(deviceID)
        lookup.bind(key)
        guard let stored = try LedgerRows.first(lookup, { (fingerprint: $0.string(0), status: Int($0.int64(1)), body: $0.data(2)) }) else {
            return nil
        }
        guard stored.fingerprint == fingerprint.hex else {
            throw FacePayError(.conflict, code: "idempotency_conflict",
                               detail: "Idempotency-Key '\(key)' was already used with a different request")
        }
        return IdempotentResponse(status: stored.status, body: stored.body, replayed: true)
    }

    /// Returns the stored response when `key` was used before with the same fingerprint; fails with
    /// 409 `idempotency_conflict` when it was used with a different one; otherwise runs `operation`
    /// and stores its response. An operation that throws stores nothing (and the caller's
    /// transaction rolls its writes back), so a retry runs it again.
    public static func run(_ db: Database, deviceID: String, key: String, fingerprint: RequestFingerprint, now: Date,
                           operation: (Database) throws -> (status: Int, body: Data)) throws -> IdempotentResponse {
        precondition(IdempotencyKey.isValid(key, charactersMax: keyCharactersMax), "the use case validates the Idempotency-Key")
        if let stored = try storedResponse(db, deviceID: deviceID, key: key, fingerprint: fingerprint) { return stored }
        let response = try operation(db)
        var insert = try RawStatement(db, """
            INSERT INTO idempotency_records (device_id, key, request_sha256, response_status, response_body, created_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        insert.bind(deviceID)
        insert.bind(key)
        insert.bind(fingerprint.hex)
        insert.bind(response.status)
        insert.bind(response.body)
        insert.bind(Timestamp.text(now))
        try insert.execute()
        return IdempotentResponse(status: response.status, body: response.body, replayed: false)
    }
}
