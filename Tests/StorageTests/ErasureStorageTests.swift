import FacePayCore
import Foundation
import GRDB
@testable import Storage
import Stores
import Testing

@Suite("erasure on disk: the WAL checkpoint reports completion; the journal survives a restored copy")
struct ErasureStorageTests {
    @Test("a TRUNCATE checkpoint blocked by a reader's older snapshot reports false, and true once the reader is gone")
    func checkpointReportsBusy() async throws {
        let test = try TestDatabase()
        try await test.database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (x)") }
        // Another connection reads in a transaction that started before the next write.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true   // the open read transaction is the point
        configuration.busyMode = .immediateError
        let reader = try DatabaseQueue(path: test.database.path, configuration: configuration)
        try reader.inDatabase { db in
            try db.execute(sql: "BEGIN")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM scratch")
        }
        try await test.database.pool.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (1)") }
        #expect(try test.database.checkpointAndTruncateWAL() == false)
        try reader.inDatabase { db in try db.execute(sql: "COMMIT") }
        #expect(try await test.database.checkpointAndTruncateWALUntilComplete(attemptsMax: 3))
        try reader.close()
    }

    @Test("the journal lists each erasure once it is recorded, skips a torn line, and is copied beside a backup")
    func journal() throws {
        let test = try TestDatabase()
        let journal = test.database.erasureJournal
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try journal.record(customerID: "cus_aaaaaaaaaaaaaaaaaaaaaaaaaa", erasedAt: at)
        try SecretFile.append(Data("cus_torn 2026-".utf8), to: journal.path)
        #expect(try journal.entries() == [ErasureJournal.Entry(customerID: "cus_aaaaaaaaaaaaaaaaaaaaaaaaaa", erasedAt: at)])
        let attributes = try FileManager.default.attributesOfItem(atPath: journal.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let backup = test.directory.appendingPathComponent("copy.sqlite").path
        _ = try test.database.backup(to: backup)
        #expect(try ErasureJournal(path: AppDatabase.erasureJournalPath(ofBackup: backup)).entries().count == 1)
    }
}
