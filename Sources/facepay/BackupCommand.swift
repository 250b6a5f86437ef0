import ArgumentParser
import FacePayCore
import Foundation
import Storage
import Stores

/// `facepay backup PATH`: an online, consistent copy (SQLite backup API) taken while the server
/// keeps writing, then opened and verified.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database online to PATH, then open and verify the copy.")

    @OptionGroup var data: DataDirectoryOptions

    @Argument(help: "Where to write the copy (must not exist).")
    var path: String

    func run() throws {
        if try CommandErrors.run({ try data.postgresLocation() }) != nil {
            // PostgreSQL's own backups are better than any copy made through one client
            // connection: a base backup with the WAL archive restores to any instant.
            throw CommandFailure(message: "on PostgreSQL, back up with PostgreSQL's tools (pg_basebackup and a WAL archive, or pg_dump) and keep each node's erasure journal: Deploy/cluster/RUNBOOK.md, \"Backups on PostgreSQL\" [postgres_backup_is_postgres]")
        }
        let source = data.directory.databasePath
        guard FileManager.default.fileExists(atPath: source) else {
            throw ValidationError("no database at \(source)")
        }
        let onTerminal = isatty(STDERR_FILENO) == 1
        let result = try CommandErrors.run {
            try data.openDatabase().backup(to: path) { done, total in
                if onTerminal, total > 0 {
                    FileHandle.standardError.write(Data("\rbackup: \(done * 100 / total)% of \(total) pages".utf8))
                }
            }
        }
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        for problem in result.integrity.problems { print("PROBLEM \(problem)") }
        print("backup written to \(result.path): \(result.pageCount) pages; copy \(result.integrity.ok ? "verified" : "FAILED verification"): \(result.integrity.eventsChecked) audit events, \(result.integrity.transfersChecked) transfers")
        if !result.integrity.ok { throw ExitCode.failure }
    }
}
