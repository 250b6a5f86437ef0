import FacePayCore
import Foundation
import GRDB
@testable import Storage
import Stores
import Testing

@Suite("database: migrations and durability")
struct MigrationTests {
    func temporaryDatabasePath() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-storage-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.appendingPathComponent("facepay.sqlite").path
    }

    @Test("migrations run once, in order, each recorded with its checksum")
    func migrationsRunOnce() throws {
        let path = try temporaryDatabasePath()
        let first = try AppDatabase.open(path: path)
        let applied = try first.appliedMigrations()
        #expect(applied == Migration.embedded.map(\.fileName))
        let second = try AppDatabase.open(path: path)
        #expect(try second.appliedMigrations() == applied)
        let checksums = try second.pool.read { db in try String.fetchAll(db, sql: "SELECT checksum FROM schema_migrations ORDER BY version") }
        #expect(checksums == Migration.embedded.map(\.checksum))
    }

    @Test("an applied migration whose file changed stops start-up, naming the file")
    func tamperedMigration() throws {
        let path = try temporaryDatabasePath()
        _ = try AppDatabase.open(path: path)
        var tampered = Migration.embedded
        let original = tampered[0]
        tampered[0] = Migration(fileName: original.fileName, sql: original.sql + "\n-- edited after release\n")
        do {
            _ = try AppDatabase.open(path: path, migrations: tampered)
            Issue.record("a tampered migration was accepted")
        } catch let error as FacePayError {
            #expect(error.code == "migration_tampered")
            #expect(error.detail.contains(original.fileName))
        }
    }

    @Test("a database with a migration this binary does not know is refused")
    func unknownMigration() throws {
        let path = try temporaryDatabasePath()
        _ = try AppDatabase.open(path: path, migrations: Migration.embedded + [Migration(fileName: "9999_future.sql", sql: "CREATE TABLE future (x INTEGER) STRICT;")])
        #expect(throws: FacePayError.self) { _ = try AppDatabase.open(path: path) }
    }

    @Test("the writer runs with synchronous=FULL, WAL and foreign keys")
    func durabilitySettings() throws {
        let database = try AppDatabase.open(path: try temporaryDatabasePath())
        #expect(try database.writerSynchronousLevel() == 2)
        let (journal, foreignKeys, secureDelete) = try database.pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA secure_delete"))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        #expect(secureDelete == 1)
    }

    @Test("every .sql file in Migrations/ is embedded, in order")
    func directoryMatchesEmbeddedList() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Migrations").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.embedded.map(\.fileName))
        for migration in Migration.embedded {
            let onDisk = try String(contentsOf: root.appendingPathComponent("Migrations/\(migration.fileName)"), encoding: .utf8)
            #expect(onDisk == migration.sql, "\(migration.fileName) differs from the embedded copy")
        }
    }
}
