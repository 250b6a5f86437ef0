import FacePayCore
import Foundation

/// The erasures of biometric data, kept outside the database file so that they outlive a restore:
/// a backup taken before an erasure still holds that customer's template, and restoring it must
/// not bring the face back. One line per erasure, `CUSTOMER_ID ERASED_AT` (identifiers and times
/// only, nothing biometric), appended and fsynced before the erasure is answered, in
/// `erasure-journal.log` beside the database file (mode 0600).
///
/// At start-up the server reapplies it (`reapply(to:)`, one per backend): every journaled
/// customer whose templates are still in the database (a restored older backup) loses them
/// again, audited; and every erasure the database holds that the journal lacks (a crash between
/// the commit and the append) is appended, so the journal is always the union of both. On
/// SQLite `facepay backup` writes a copy of the journal beside each backup, for restoring onto a
/// machine whose data directory was lost; on PostgreSQL every node keeps one in its data
/// directory (Deploy/RUNBOOK.md, "Backups on PostgreSQL").
public struct ErasureJournal: Sendable {
    public let path: String

    public static let fileName = "erasure-journal.log"

    public init(path: String) {
        self.path = path
    }

    /// The journal of a data directory: beside SQLite's file, or in a PostgreSQL node's folder.
    public init(in directory: DataDirectory) {
        self.init(path: directory.root.appendingPathComponent(Self.fileName).path)
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

    /// Appends several erasures, durably, in one write.
    public func record(_ entries: [Entry]) throws {
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

    /// The second half of a reapply, the same on every backend: appends the erasures the
    /// database holds that the journal lacks (a crash between the commit and the append, or,
    /// with several nodes, an erasure another node made), so the journal is the union of both.
    public func recordMissing(_ erasedInDatabase: [Entry], journaled: [Entry]) throws {
        let journaledIDs = Set(journaled.map(\.customerID))
        try record(erasedInDatabase.filter { !journaledIDs.contains($0.customerID) })
    }

    /// The audit event of an erasure made again from the journal.
    public static func reappliedEvent(_ entry: Entry, rowsDeleted: Int) -> AuditEntry {
        AuditEntry(actor: LedgerEvents.systemActor, action: "customer.biometrics_erased", subject: entry.customerID, detail: [
            "rows_deleted": .integer(Int64(rowsDeleted)), "reapplied_from_journal": .bool(true),
            "erased_at": .string(entry.erasedAt.rfc3339),
        ])
    }

    /// Copies the journal to `path` (a backup's companion); nothing to copy is an empty file.
    public func copy(to path: String) throws {
        let data = FileManager.default.contents(atPath: self.path) ?? Data()
        try SecretFile.write(data, to: path, existing: .keep)
    }
}
