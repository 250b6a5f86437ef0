import FacePayCore
import Foundation
import GRDB
import Stores

/// Applies numbered migrations in order, each in its own transaction, recording name and checksum
/// in `schema_migrations` (`Migration.pending` decides what may run).
struct MigrationRunner {
    let migrations: [Migration]

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
            let recorded = try Row.fetchAll(db, sql: "SELECT version, file_name, checksum FROM schema_migrations ORDER BY version").map {
                Migration.Applied(version: $0["version"], fileName: $0["file_name"], checksum: $0["checksum"])
            }
            var applied: [String] = []
            for migration in try Migration.pending(migrations, applied: recorded) {
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
