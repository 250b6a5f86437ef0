import FacePayCore
import Foundation
import GRDB
import Stores

/// What `backup(to:)` did.
public struct BackupResult: Sendable, Equatable {
    public let path: String
    public let pageCount: Int
    /// The copy's own verification: `PRAGMA integrity_check` and the ledger verifier.
    public let integrity: IntegrityReport
}

extension AppDatabase {
    /// Copies the database to `path` with SQLite's online backup API while writes continue: the
    /// copy is the snapshot of one read transaction. Then opens the copy as a FacePay database
    /// (migrations checked, `synchronous=FULL`) and verifies it; a copy that fails SQLite's
    /// `integrity_check` throws, one with ledger problems is returned with them in `integrity`.
    /// Refuses to overwrite an existing file. Writes a copy of the erasure journal beside it
    /// (`erasureJournalPath(ofBackup:)`).
    public func backup(to path: String, progress: (@Sendable (_ pagesDone: Int, _ pagesTotal: Int) -> Void)? = nil) throws -> BackupResult {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw FacePayError(.conflict, code: "backup_exists", detail: "\(path) already exists; choose a new file")
        }
        var pageCount = 0
        do {
            // A plain (rollback-journal) queue as the destination: it is written once, by us.
            let destination = try DatabaseQueue(path: path)
            try pool.backup(to: destination, pagesPerStep: 4096) { step in
                pageCount = step.totalPageCount
                progress?(step.completedPageCount, step.totalPageCount)
            }
            try destination.close()
        } catch {
            throw FacePayError(.unavailable, code: "backup_failed", detail: "backup to \(path) failed: \(error)")
        }
        let copy = try AppDatabase.open(path: path)
        let check = try copy.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        guard check == ["ok"] else {
            throw FacePayError(.internalFailure, code: "backup_corrupt",
                               detail: "the copy at \(path) fails integrity_check: \(check.prefix(5).joined(separator: "; "))")
        }
        let integrity = try copy.verifyIntegrity()
        try copy.pool.close()
        // The erasures made so far travel with the copy: restored where the live journal was lost,
        // it still forgets everyone who asked (see ErasureJournal).
        try erasureJournal.copy(to: Self.erasureJournalPath(ofBackup: path))
        return BackupResult(path: path, pageCount: pageCount, integrity: integrity)
    }

    /// Where `backup(to:)` puts the erasure journal's copy: `PATH.erasure-journal.log`.
    public static func erasureJournalPath(ofBackup path: String) -> String {
        path + "." + ErasureJournal.fileName
    }
}
