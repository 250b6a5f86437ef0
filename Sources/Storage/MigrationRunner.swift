import FacePayCore
import Foundation
import GRDB
import Stores

/// Applies numbered migrations in order, each in its own transaction, recording name and checksum
/// in `schema_migrations`. Refuses to run when an applied migration's file changed (the checksum
/// differs) or the database knows a migration this binary does not: both mean the schema is not
/// what the code expects, and guessing would risk the ledger.
struct MigrationRunner {
    let migrations: [Migration]

    init(migrations: [Migration]) {
        let versions = migrations.map(\.version)
        precondition(versions == versions.sorted() && Set(versions).count == versions.count && !versions.contains(0),
                     "migrations must be uniquely numbered and in order")
        self.migrations = migrations
    }

    /// Returns the file names applied by this call.
    func migrate(_ pool: DatabasePool, now: Date) throws -> [String] {
        try pool.barrierWriteWithoutTransaction { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    file_name  TEXT NOT NULL,
                    checksum   TEXT NOT NULL CHECK (length(checksum) = 64),
                    applied_at TEXT NOT NULL
                ) STRICT
                """)
            let recorded = try Row.fetchAll(db, sql: "SELECT version, file_name, checksum FROM schema_migrations ORDER BY version")
            var recordedByVersion: [Int: (name: String, checksum: String)] = [:]
            for row in recorded {
                recordedByVersion[row["version"]] = (row["file_name"], row["checksum"])
            }
            let known = Set(migrations.map(\.version))
            if let unknown = recordedByVersion.keys.sorted().first(where: { !known.contains($0) }) {
                throw FacePayError(.internalFailure, code: "migration_unknown",
                                   detail: "database has migration \(recordedByVersion[unknown]?.name ?? "\(unknown)") that this binary does not know; use a newer facepay")
            }
            var applied: [String] = []
            for migration in migrations {
                if let existing = recordedByVersion[migration.version] {
                    guard existing.checksum == migration.checksum, existing.name == migration.fileName else {
                        throw FacePayError(.internalFailure, code: "migration_tampered",
                                           detail: "migration \(migration.fileName) changed after it was applied (recorded sha256 \(existing.checksum), file sha256 \(migration.checksum)); released migrations must never be edited")
                    }
                    continue
                }
                try db.inTransaction {
                    try db.execute(sql: migration.sql)
                    try db.execute(sql: "INSERT INTO schema_migrations (version, file_name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                                   arguments: [migration.version, migration.fileName, migration.checksum, now.rfc3339])
                    return .commit
                }
                applied.append(migration.fileName)
            }
            return applied
        }
    }
}

extension AppDatabase {
    /// File names of the applied migrations, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT file_name FROM schema_migrations ORDER BY version") }
    }
}
