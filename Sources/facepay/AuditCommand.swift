import ArgumentParser
import FacePayCore
import Foundation
import PostgresStorage
import Storage
import Stores

/// `facepay audit …`: the auditor's tools on the operator's shell.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect and verify the audit log and the ledger.",
        subcommands: [AuditVerifyCommand.self])
}

/// `facepay audit verify`: checks the hash chain and the ledger invariants; prints each problem
/// (table, row, expected, found) and exits 1 when there is any. By default only what was written
/// after the last verified state (as `GET /v1/audit/verify` does); `--full` re-checks every row
/// without trusting that state, and when all is well makes this snapshot the new state.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit hash chain, double entry, account counters and wallet balances.")

    @OptionGroup var data: DataDirectoryOptions

    @Flag(name: .long, help: "Print the report as JSON (the body of GET /v1/audit/verify).")
    var json = false

    @Flag(name: .long, help: "Re-check every event and transfer, not only those after the last verified state.")
    var full = false

    func run() async throws {
        let report: IntegrityReport
        if let location = try CommandErrors.run({ try data.postgresLocation() }) {
            report = try await CommandErrors.run {
                try await withPostgresRecords(location) { [full] stores in
                    full ? try await stores.verifyIntegrityFully(problemsMax: 1_000) : try await stores.verifyIntegrity(newSinceLastRun: 1_000)
                }
            }
        } else {
            let path = data.directory.databasePath
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("no database at \(path)")
            }
            report = try CommandErrors.run {
                let database = try data.openDatabase()
                return full ? try database.verifyIntegrityFully().report : try database.verifyIntegrityIncrementallyNow().report
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for problem in report.problems { print("PROBLEM \(problem)") }
            print("\(report.ok ? "ok" : "FAILED") (\(report.mode.rawValue), through audit event \(report.head.seq)): \(report.eventsChecked) audit events and \(report.transfersChecked) transfers checked, \(report.problems.count) problem(s)")
        }
        if !report.ok { throw ExitCode.failure }
    }
}
