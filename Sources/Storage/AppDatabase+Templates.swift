import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

/// `facepay keys` on SQLite: the methods below are synchronous, which the protocol's async
/// requirements accept.
extension AppDatabase: TemplateKeyStore {}

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
    /// longer linger in the WAL. Waits for readers (a TRUNCATE checkpoint, within the busy
    /// timeout); call outside a transaction. Returns false when SQLite reports the checkpoint
    /// could not complete (busy: a reader still holds an older snapshot): the erased rows may
    /// then still be in the WAL or the database file, and the caller must try again.
    @discardableResult
    public func checkpointAndTruncateWAL() throws -> Bool {
        try pool.writeWithoutTransaction { db in
            // Columns: busy (1 when it could not complete), WAL frames, frames checkpointed.
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return (row?[0] as Int?) == 0
        }
    }

    /// `checkpointAndTruncateWAL` until it completes, at most `attemptsMax` times, `pause` apart;
    /// returns whether it did.
    public func checkpointAndTruncateWALUntilComplete(attemptsMax: Int, pause: Duration = .milliseconds(100)) async throws -> Bool {
        precondition(attemptsMax > 0)
        for attempt in 1...attemptsMax {
            if try checkpointAndTruncateWAL() { return true }
            if attempt < attemptsMax { try await Task.sleep(for: pause) }
        }
        return false
    }

    /// Every template of a model, decrypted, for building the gallery index at start-up; rows that
    /// do not open are listed in `undecryptable` instead of stopping the load.
    /// Reads in one snapshot; `progress` is told (done, total) every 1,000 rows.
    public func loadTemplates(model: String, keyRing: TemplateKeyRing,
                              progress: (Int, Int) -> Void = { _, _ in }) throws -> TemplateLoad {
        try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM face_templates WHERE model = ?", arguments: [model]) ?? 0
            var load = TemplateLoad(templates: [], undecryptable: [])
            load.templates.reserveCapacity(total)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.customer_id, t.key_id, t.sealed, c.phone_last4
                FROM face_templates t JOIN customers c ON c.id = t.customer_id
                WHERE t.model = ?
                """, arguments: [model])
            var done = 0
            while let row = try rows.next() {
                let customerID: String = row["customer_id"]
                let keyID: String = row["key_id"]
                switch keyRing.opening(row["sealed"], keyID: keyID, customerID: customerID, model: model) {
                case .success(let values):
                    load.templates.append(LoadedTemplate(customerID: customerID, phoneLast4: row["phone_last4"], keyID: keyID, values: values))
                case .failure(let reason):
                    load.undecryptable.append(UndecryptableTemplate(customerID: customerID, model: model, keyID: keyID, reason: reason.code))
                }
                done += 1
                if done % 1000 == 0 { progress(done, total) }
            }
            progress(done, total)
            return load
        }
    }

    /// Every template row (all models) that does not open with `keyRing`, for `facepay keys
    /// status`. Opens each row in turn and keeps no plaintext.
    public func undecryptableTemplates(keyRing: TemplateKeyRing) throws -> [UndecryptableTemplate] {
        try pool.read { db in
            var failures: [UndecryptableTemplate] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT customer_id, model, key_id, sealed FROM face_templates ORDER BY customer_id, model")
            while let row = try rows.next() {
                let (customerID, model, keyID): (String, String, String) = (row["customer_id"], row["model"], row["key_id"])
                if case .failure(let reason) = keyRing.opening(row["sealed"], keyID: keyID, customerID: customerID, model: model) {
                    failures.append(UndecryptableTemplate(customerID: customerID, model: model, keyID: keyID, reason: reason.code))
                }
            }
            return failures
        }
    }

    /// One batch of a re-seal pass (`TemplateKeyStore.resealTemplates`). IMMEDIATE: the batch
    /// takes the write lock before it reads, so a server's enrolment that sealed with the old key
    /// before the key file changed has committed and is seen (see TemplateKeyRingSource).
    public func resealBatch(after: TemplateRowKey, keyRing: TemplateKeyRing, batchSize: Int) throws -> TemplateResealBatch {
        try pool.writeWithoutTransaction { db in
            var resealed = 0
            var last: TemplateRowKey?
            var failures: [UndecryptableTemplate] = []
            try db.inTransaction(.immediate) {
                let rows = try FaceTemplateRow.fetchAll(db, sql: """
                    SELECT * FROM face_templates WHERE key_id != ? AND (customer_id, model) > (?, ?)
                    ORDER BY customer_id, model LIMIT ?
                    """, arguments: [keyRing.current.id, after.customerID, after.model, batchSize])
                for var row in rows {
                    switch keyRing.opening(row.sealed, keyID: row.keyID, customerID: row.customerID, model: row.model) {
                    case .success(let values):
                        let box = try keyRing.seal(values, customerID: row.customerID, model: row.model)
                        row.keyID = box.keyID
                        row.sealed = box.sealed
                        try row.update(db)
                        resealed += 1
                    case .failure(let reason):
                        failures.append(UndecryptableTemplate(customerID: row.customerID, model: row.model, keyID: row.keyID, reason: reason.code))
                    }
                }
                last = rows.last.map { TemplateRowKey(customerID: $0.customerID, model: $0.model) }
                return .commit
            }
            return TemplateResealBatch(resealed: resealed, last: last, undecryptable: failures)
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
    public static let templateUseResolutionSeconds = TemplateUse.resolutionSeconds

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

extension AppDatabase {
    /// Enrolled, funded customers for a load (`bench api`): each a wallet holding `balance`, a
    /// customer row (consent from the dev kiosk) and a template sealed with `keyRing`, in one
    /// transaction. Not a use case: no audit event, no idempotency record.
    public func insertFundedCustomers(_ customers: [(template: [Float], phoneE164: String)], model: String, keyRing: TemplateKeyRing,
                                      balance: Money, actor: String, now: Date) throws {
        try pool.write { db in
            for (template, phone) in customers {
                let customerID = LedgerIdentifier.make(.customer, now: now)
                let account = try LedgerStore.createAccount(db, kind: .customerWallet, ownerID: customerID, currency: balance.currency,
                                                            actor: actor, now: now)
                _ = try LedgerStore.deposit(db, accountID: account.id, amount: balance, deviceID: nil, actor: actor, now: now)
                try Customer(id: customerID, fullName: "Bench Customer", phoneE164: phone, accountID: account.id,
                             consentVersion: "2026-01", consentKioskID: "K-DEV-1", now: now).insert(db)
                try AppDatabase.saveTemplate(db, values: template, customerID: customerID, model: model, keyRing: keyRing, now: now)
            }
        }
    }
}
