import ArgumentParser
import FacePayCore
import Foundation
import Storage

/// `facepay audit …`: the auditor's tools on the operator's shell.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect and verify the audit log and the ledger.",
        subcommands: [AuditVerifyCommand.self])
}

/// `facepay audit verify`: recomputes the hash chain and every ledger invariant; prints each
/// problem (table, row, expected, found) and exits 1 when there is any.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit hash chain, double entry, account counters and wallet balances.")

    @OptionGroup var data: DataDirectoryOptions

    @Flag(name: .long, help: "Print the report as JSON (the body of GET /v1/audit/verify).")
    var json = false

    func run() throws {
        let path = data.directory.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no database at \(path)")
        }
        let report = try CommandErrors.run { try data.openDatabase().verifyIntegrity() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for problem in report.problems { print("PROBLEM \(problem)") }
            print("\(report.ok ? "ok" : "FAILED"): \(report.eventsChecked) audit events and \(report.transfersChecked) transfers checked, \(report.problems.count) problem(s)")
        }
        if !report.ok { throw ExitCode.failure }
    }
}
