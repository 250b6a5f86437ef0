import FacePayCore
import Foundation
import GRDB
import Stores

/// The erasures of biometric data, kept outside the database file so that they outlive a restore:
/// a backup taken before an erasure still holds that customer's template, and restoring it must
/// not bring the face back. One line per erasure, `CUSTOMER_ID ERASED_AT` (identifiers and times
/// only, nothing biometric), appended and fsynced before the erasure is answered, in
/// `erasure-journal.log` beside the database file (mode 0600).
///
/// At start-up `FacePayServer` calls `reapply(to:)`: every journaled customer whose templates are
/// still in the database (a restored older backup) loses them again, audited; and every erasure
/// the database holds that the journal lacks (a crash between the commit and the append) is
/// appended, so the journal is always the union of both. `facepay backup` writes a copy of the
/// journal beside each backup, for restoring onto a machine whose data directory was lost.
public struct ErasureJournal: Sendable {
    public let path: String

    public static let fileName = "erasure-journal.log"

    public init(path: String) {
        self.path = path
    }

    /// The journal beside `databasePath`.
    public init(besideDatabaseAt databasePath: String) {
        self.init(path: URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent(Self.fileName).path)
    }

    /// One erasure: who, and when it was made.
    public struct Entry: Sendable, Equatable {
        public let customerID: String
        public let erasedAt: Date

        public init(customerID: String, erasedAt: Date) {
            self.customerID = customerID
            self.erasedAt = erasedAt
        }
    }

    /// Appends one erasure, durably.
    public func record(customerID: String, erasedAt: Date) throws {
        try record([Entry(customerID: customerID, erasedAt: erasedAt)])
    }

    func record(_ entries: [Entry]) throws {
        guard !entries.isEmpty else { return }
        let text = entries.map { "\($0.customerID) \($0.erasedAt.rfc3339)\n" }.joined()
        try SecretFile.append(Data(text.utf8), to: path)
    }

    /// Every well-formed line, in file order (a torn or foreign line is skipped: the database side
    /// of `reapply` heals a torn last line). No file is no erasures.
    public func entries() throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, Identifier.isWellFormed(String(parts[0]), .customer),
                  let at = Date.parseRFC3339(String(parts[1])) else { return nil }
            return Entry(customerID: String(parts[0]), erasedAt: at)
        }
    }

    /// Makes the database and the journal agree (see the type's comment); returns the customers
    /// whose templates were deleted again, for the caller to drop from any in-memory index.
    @discardableResult
    public func reapply(to database: AppDatabase, now: Date) throws -> [String] {
        let journaled = try entries()
        let journaledIDs = Set(journaled.map(\.customerID))
        let (reapplied, missing) = try database.pool.write { db -> ([String], [Entry]) in
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
                try AuditLog.append(db, actor: "system", action: "customer.biometrics_erased", subject: entry.customerID, detail: [
                    "rows_deleted": .integer(Int64(removed)), "reapplied_from_journal": .bool(true),
                    "erased_at": .string(entry.erasedAt.rfc3339),
                ], now: now)
                reapplied.append(entry.customerID)
            }
            let erased = try Row.fetchAll(db, sql: "SELECT id, biometrics_erased_at FROM customers WHERE biometrics_erased_at IS NOT NULL")
            let missing = erased.compactMap { row -> Entry? in
                let id: String = row["id"]
                guard !journaledIDs.contains(id), let at = Date.parseRFC3339(row["biometrics_erased_at"]) else { return nil }
                return Entry(customerID: id, erasedAt: at)
            }
            return (reapplied, missing)
        }
        try record(missing)
        if !reapplied.isEmpty { _ = try database.checkpointAndTruncateWAL() }
        return reapplied
    }

    /// Copies the journal to `path` (a backup's companion); nothing to copy is an empty file.
    public func copy(to path: String) throws {
        let data = FileManager.default.contents(atPath: self.path) ?? Data()
        try SecretFile.write(data, to: path, existing: .keep)
    }
}

extension AppDatabase {
    /// The erasure journal of this database (beside its file).
    public var erasureJournal: ErasureJournal { ErasureJournal(besideDatabaseAt: path) }
}
