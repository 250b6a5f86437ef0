import FacePayCore
import Foundation
import GRDB

/// A decrypted template on its way into the in-memory gallery index (never to a log or a wire).
public struct LoadedTemplate: Sendable {
    public let customerID: String
    public let phoneLast4: String
    public let values: [Float]
}

extension AppDatabase {
    /// Stores (or replaces) a customer's sealed template for a model, inside the caller's transaction.
    public static func saveTemplate(_ db: Database, values: [Float], customerID: String, model: String,
                                    keyRing: TemplateKeyRing, now: Date) throws {
        let (keyID, sealed) = try keyRing.seal(values, customerID: customerID, model: model)
        try FaceTemplateRow(customerID: customerID, model: model, keyID: keyID, sealed: sealed, now: now).save(db)
    }

    /// Deletes every template of a customer (all models) inside the caller's transaction;
    /// `secure_delete` overwrites the freed pages. Returns how many rows went.
    @discardableResult
    public static func deleteTemplates(_ db: Database, customerID: String) throws -> Int {
        try db.execute(sql: "DELETE FROM face_templates WHERE customer_id = ?", arguments: [customerID])
        return db.changesCount
    }

    /// Copies the WAL back into the database file and truncates it, so erased template pages no
    /// longer linger in the WAL. Waits for readers (a TRUNCATE checkpoint); call outside a transaction.
    public func checkpointAndTruncateWAL() throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Every template of a model, decrypted, for building the gallery index at start-up.
    /// Reads in one snapshot; `progress` is told (done, total) every 1,000 rows.
    public func loadTemplates(model: String, keyRing: TemplateKeyRing,
                              progress: (Int, Int) -> Void = { _, _ in }) throws -> [LoadedTemplate] {
        try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM face_templates WHERE model = ?", arguments: [model]) ?? 0
            var loaded: [LoadedTemplate] = []
            loaded.reserveCapacity(total)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.customer_id, t.key_id, t.sealed, c.phone_last4
                FROM face_templates t JOIN customers c ON c.id = t.customer_id
                WHERE t.model = ?
                """, arguments: [model])
            while let row = try rows.next() {
                let customerID: String = row["customer_id"]
                let values = try keyRing.open(row["sealed"], keyID: row["key_id"], customerID: customerID, model: model)
                loaded.append(LoadedTemplate(customerID: customerID, phoneLast4: row["phone_last4"], values: values))
                if loaded.count % 1000 == 0 { progress(loaded.count, total) }
            }
            progress(loaded.count, total)
            return loaded
        }
    }

    /// Re-seals every template not under the ring's current key, in batches of `batchSize` rows
    /// per transaction so payments keep flowing during a rotation. Returns rows re-sealed.
    public func resealTemplates(keyRing: TemplateKeyRing, batchSize: Int = 500) throws -> Int {
        precondition(batchSize > 0)
        var total = 0
        while true {
            let count = try pool.write { db -> Int in
                let rows = try FaceTemplateRow.fetchAll(db, sql: "SELECT * FROM face_templates WHERE key_id != ? LIMIT ?",
                                                        arguments: [keyRing.current.id, batchSize])
                for var row in rows {
                    let values = try keyRing.open(row.sealed, keyID: row.keyID, customerID: row.customerID, model: row.model)
                    let (keyID, sealed) = try keyRing.seal(values, customerID: row.customerID, model: row.model)
                    row.keyID = keyID
                    row.sealed = sealed
                    try row.update(db)
                }
                return rows.count
            }
            total += count
            if count < batchSize { return total }
        }
    }

    /// Key ids still named by some template row (an old key may be removed when it is not listed).
    public func templateKeyIDsInUse() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM face_templates ORDER BY key_id") }
    }
}

extension AppDatabase {
    /// How stale `last_used_at` may be before a match rewrites it. Retention counts in years, so a
    /// day's precision loses nothing, and a customer who pays every day costs one template-row
    /// write a day instead of one per payment (each is a random page of the WAL: templates are
    /// large rows, a few per page).
    public static let templateUseResolutionSeconds: TimeInterval = 86_400

    /// Marks a template as used now (a payment or verification matched it) unless it was marked
    /// within `templateUseResolutionSeconds`; the retention purge removes templates unused for
    /// the configured period.
    public static func touchTemplate(_ db: Database, customerID: String, model: String, now: Date) throws {
        var statement = try RawStatement(db, """
            UPDATE face_templates SET last_used_at = ? WHERE customer_id = ? AND model = ? AND last_used_at < ?
            """)
        statement.bind(now.rfc3339)
        statement.bind(customerID)
        statement.bind(model)
        statement.bind(now.addingTimeInterval(-templateUseResolutionSeconds).rfc3339)
        try statement.execute()
    }

    /// Customers with a template unused since `cutoff` (oldest first, at most `limit`).
    public func customersWithTemplatesUnused(since cutoff: Date, limit: Int) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT customer_id FROM face_templates WHERE last_used_at < ? ORDER BY last_used_at LIMIT ?
                """, arguments: [cutoff.rfc3339, limit])
        }
    }
}
