import FacePayCore
import Foundation
import PostgresNIO
import Stores

/// `facepay keys` on PostgreSQL. A re-seal batch is a chain write: like every enrolment it holds
/// the audit chain head from its first statement, so an enrolment of any node that sealed with
/// the old key has committed, and is seen, by the time the batch reads. Each batch that re-sealed
/// something appends a `rekeyed` gallery change (the values are the same, so nodes keep their
/// galleries; the log still shows when rows changed).
extension PostgresStores: TemplateKeyStore {
    /// Rows read per round trip by the checks that open every row.
    static let keyCheckPage = 1000

    public func templateKeyIDsInUse() async throws -> [String] {
        try await database.read { connection in
            try await PostgresRows.all(connection, "SELECT DISTINCT key_id FROM face_templates ORDER BY key_id") {
                try $0["key_id"].decode(String.self)
            }
        }
    }

    public func undecryptableTemplates(keyRing: TemplateKeyRing) async throws -> [UndecryptableTemplate] {
        var failures: [UndecryptableTemplate] = []
        var after = TemplateRowKey.start
        while true {
            let rows = try await database.read { connection in
                try await Self.sealedTemplates(connection, after: after, notUnder: nil, limit: Self.keyCheckPage, locked: false)
            }
            for row in rows {
                if case .failure(let reason) = keyRing.opening(row.sealed, keyID: row.keyID, customerID: row.key.customerID, model: row.key.model) {
                    failures.append(UndecryptableTemplate(customerID: row.key.customerID, model: row.key.model, keyID: row.keyID, reason: reason.code))
                }
            }
            guard rows.count == Self.keyCheckPage, let last = rows.last else { return failures }
            after = last.key
        }
    }

    public func resealBatch(after: TemplateRowKey, keyRing: TemplateKeyRing, batchSize: Int) async throws -> TemplateResealBatch {
        try await chainWrite { transaction in
            let connection = transaction.connection
            let rows = try await Self.sealedTemplates(connection, after: after, notUnder: keyRing.current.id, limit: batchSize, locked: true)
            var resealed = 0
            var failures: [UndecryptableTemplate] = []
            for row in rows {
                switch keyRing.opening(row.sealed, keyID: row.keyID, customerID: row.key.customerID, model: row.key.model) {
                case .success(let values):
                    let box = try keyRing.seal(values, customerID: row.key.customerID, model: row.key.model)
                    try await PostgresRows.execute(connection, """
                        UPDATE face_templates SET key_id = \(box.keyID), sealed = \(box.sealed.bytea)
                        WHERE customer_id = \(row.key.customerID) AND model = \(row.key.model)
                        """)
                    resealed += 1
                case .failure(let reason):
                    failures.append(UndecryptableTemplate(customerID: row.key.customerID, model: row.key.model, keyID: row.keyID, reason: reason.code))
                }
            }
            if resealed > 0 {
                try await Self.recordGalleryChange(connection, .rekeyed, customerID: nil, model: nil, now: Date())
            }
            return TemplateResealBatch(resealed: resealed, last: rows.last?.key, undecryptable: failures)
        }
    }

    /// Template rows after `after` in primary-key order (only those not under `notUnder`, when
    /// given), locked for the re-seal when `locked`.
    static func sealedTemplates(_ connection: PostgresConnection, after: TemplateRowKey, notUnder keyID: String?, limit: Int,
                                locked: Bool) async throws -> [(key: TemplateRowKey, keyID: String, sealed: Data)] {
        try await PostgresRows.all(connection, """
            SELECT customer_id, model, key_id, sealed FROM face_templates
            WHERE (customer_id, model) > (\(after.customerID), \(after.model)) AND (\(keyID)::TEXT IS NULL OR key_id <> \(keyID))
            ORDER BY customer_id, model LIMIT \(Int64(limit)) \(unescaped: locked ? "FOR UPDATE" : "")
            """) { row in
            (TemplateRowKey(customerID: try row["customer_id"].decode(String.self), model: try row["model"].decode(String.self)),
             try row["key_id"].decode(String.self), Data(try row["sealed"].decode(ByteBuffer.self).readableBytesView))
        }
    }
}
