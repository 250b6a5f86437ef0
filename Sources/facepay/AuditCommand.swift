import ArgumentParser
import FacePayCore
import Foundation
import Payments
import PostgresStorage
import Storage
import Stores

/// `facepay audit …`: the auditor's tools on the operator's shell.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect and verify the audit log and the ledger.",
        subcommands: [AuditVerifyCommand.self, AuditKeyCommand.self, AuditCheckpointCommand.self])
}

/// `facepay audit verify`: checks the hash chain and the ledger invariants; prints each problem
/// (table, row, expected, found) and exits 1 when there is any. By default only what was written
/// after the last verified state (as `GET /v1/audit/verify` does); `--full` re-checks every row
/// without trusting that state, and when all is well makes this snapshot the new state.
/// `--receipts DIR` also checks that the live log extends every checkpoint kept in DIR
/// (`ReceiptCheck`), printing a line per receipt and naming the first one it does not extend.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the audit hash chain, double entry, account counters and wallet balances.")

    @OptionGroup var data: DataDirectoryOptions

    @Flag(name: .long, help: "Print the report as JSON (the body of GET /v1/audit/verify).")
    var json = false

    @Flag(name: .long, help: "Re-check every event and transfer, not only those after the last verified state.")
    var full = false

    @Option(help: "Also check the live log against every receipt in this folder: *.json (one checkpoint each) and *.jsonl (a witness file, one per line).")
    var receipts: String?

    @Option(help: "The public keys receipts must be signed with, '<key-id> <base64>' lines as `facepay audit key` prints them (default: the keys of the signing key file).")
    var trustedKeys: String?

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
        var ok = report.ok
        if let receipts { ok = try await checkReceipts(in: receipts) && ok }
        if !ok { throw ExitCode.failure }
    }

    /// The largest witness file (`*.jsonl`) read: about 150,000 checkpoints.
    static let witnessFileBytesMax = 64 << 20

    /// Prints a line per receipt of `folder`; false when any is not extended by the live log.
    func checkReceipts(in folder: String) async throws -> Bool {
        let trusted = try CommandErrors.run {
            if let trustedKeys {
                return try AuditPublicKey.parse(try String(contentsOfFile: trustedKeys, encoding: .utf8), source: trustedKeys)
            }
            print("note: trusting the public halves of the signing key file \(data.auditSigningKeyPath); an auditor passes --trusted-keys with the keys they kept")
            return try AuditSigningKeys.load(path: data.auditSigningKeyPath, createIfMissing: false).publicKeys
        }
        var files: [(name: String, data: Data)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder).sorted() {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            if name.hasSuffix(".json") {
                // A receipt is small; a huge file is not one and is not read whole.
                files.append((name, size <= AuditCheckpoint.fileBytesMax ? (try Data(contentsOf: url)) : Data()))
            } else if name.hasSuffix(".jsonl") {
                // A witness file: one receipt per line.
                guard size <= Self.witnessFileBytesMax else {
                    throw CommandFailure(message: "\(name) is larger than \(Self.witnessFileBytesMax) bytes; split it")
                }
                let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
                for (index, line) in lines.enumerated() { files.append(("\(name):\(index + 1)", Data(line.utf8))) }
            }
        }
        let receiptFiles = files
        let results = try await CommandErrors.run {
            try await withAuditStores(data) { stores in try await ReceiptCheck.check(receiptFiles, trusted: trusted, reader: stores) }
        }
        let failed = results.filter { $0.verdict != .extended }
        for result in results {
            let what = result.checkpoint.map { " (tree_size \($0.treeSize), \($0.time))" } ?? ""
            print("RECEIPT \(result.verdict == .extended ? "ok" : "FAILED") \(result.name)\(what): \(result.verdict)")
        }
        if let first = failed.first {
            print("FAILED: \(failed.count) of \(results.count) receipt(s) not extended by the live log; the first is \(first.name)")
        } else {
            print("ok: the live log extends all \(results.count) receipt(s)")
        }
        return failed.isEmpty
    }
}
