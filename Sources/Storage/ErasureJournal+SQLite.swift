import FacePayCore
import Foundation
import GRDB
import Stores

extension ErasureJournal {
    /// Makes the database and the journal agree (see `ErasureJournal`); returns the customers
    /// whose templates were deleted again, for the caller to drop from any in-memory index.
    @discardableResult
    public func reapply(to database: AppDatabase, now: Date) throws -> [String] {
        let journaled = try entries()
        let (reapplied, erased) = try database.pool.write { db -> ([String], [Entry]) in
            var reapplied: [String] = []
            for entry in journaled {
                // One lookup: is the customer here (a backup older than the enrolment has nobody to
                // erase), and does the database still hold what was erased?
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT biometrics_erased_at IS NULL OR EXISTS (SELECT 1 FROM face_templates WHERE customer_id = customers.id)
                    FROM customers WHERE id = ?
                    """, arguments: [entry.customerID]), row[0] as Bool else { continue }
                let removed = try AppDatabase.deleteTemplates(db, customerID: entry.customerID)
                try db.execute(sql: "UPDATE customers SET biometrics_erased_at = coalesce(biometrics_erased_at, ?) WHERE id = ?",
                               arguments: [entry.erasedAt.rfc3339, entry.customerID])
                _ = try AuditLog.append(db, ErasureJournal.reappliedEvent(entry, rowsDeleted: removed), now: now)
                reapplied.append(entry.customerID)
            }
            let erased = try Row.fetchAll(db, sql: "SELECT id, biometrics_erased_at FROM customers WHERE biometrics_erased_at IS NOT NULL")
                .compactMap { row -> Entry? in
                    Date.parseRFC3339(row["biometrics_erased_at"]).map { Entry(customerID: row["id"], erasedAt: $0) }
                }
            return (reapplied, erased)
        }
        try recordMissing(erased, journaled: journaled)
        if !reapplied.isEmpty { _ = try database.checkpointAndTruncateWAL() }
        return reapplied
    }
}

extension AppDatabase {
    /// The erasure journal of this database (beside its file).
    public var erasureJournal: ErasureJournal { ErasureJournal(besideDatabaseAt: path) }
}
