import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

/// The `facepay` executable built next to this test binary, if it was built.
func builtFacepayExecutable() -> URL? {
    var directories: [URL] = []
    if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
    }
    directories.append(Bundle.main.bundleURL)
    directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
    if let first = CommandLine.arguments.first {
        directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
    }
    for directory in directories {
        let candidate = directory.appendingPathComponent("facepay")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
}

@Suite struct CrashTests {
    /// SIGKILL in the middle of a group-commit load: every payment the process acknowledged is in
    /// the reopened database, none twice, and the ledger verifies.
    @Test(.enabled(if: builtFacepayExecutable() != nil,
                   "the facepay executable is not built next to the tests (run `swift build` before `swift test`)"))
    func killedLoadLosesNoAcknowledgedPayment() throws {
        let executable = try #require(builtFacepayExecutable())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        // Two rounds on the same data directory: the second starts from the recovered file.
        var acknowledged: [String] = []
        for round in 1...2 {
            let roundAcknowledged = try Self.runLoadAndKill(executable: executable, directory: directory, after: 500)
            print("crash test round \(round): \(roundAcknowledged.count) payments acknowledged before SIGKILL")
            acknowledged += roundAcknowledged
        }
        #expect(Set(acknowledged).count == acknowledged.count, "an id was acknowledged twice")
        #expect(acknowledged.allSatisfy { Identifier.isWellFormed($0, .payment) })

        let database = try AppDatabase.open(path: directory.appendingPathComponent("facepay.sqlite").path)
        defer { try? database.pool.close() }
        try database.pool.read { db in
            let stored = Set(try String.fetchAll(db, sql: "SELECT id FROM payments"))
            let missing = acknowledged.filter { !stored.contains($0) }
            #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(5))")
            // One payment transfer per payment, one payment per idempotency key: nothing twice.
            let doubled = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT payment_id FROM transfers WHERE kind = 'payment' GROUP BY payment_id HAVING count(*) > 1)
                """)
            #expect(doubled == 0)
            let payments = try Int.fetchOne(db, sql: "SELECT count(*) FROM payments") ?? -1
            let keys = try Int.fetchOne(db, sql: "SELECT count(*) FROM idempotency_records") ?? -2
            #expect(payments == keys)
            #expect(payments >= acknowledged.count)
        }
        let report = try database.verifyIntegrity()
        #expect(report.ok, "\(report.problems.prefix(5))")
    }

    /// Starts `facepay ledger-load`, reads acknowledged ids until `count` arrived, kills it with
    /// SIGKILL and returns every id it acknowledged (whole lines only).
    static func runLoadAndKill(executable: URL, directory: URL, after count: Int) throws -> [String] {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["ledger-load", "--data-dir", directory.path, "--requesters", "32"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        // Read acknowledgements until well into the load, then kill without warning.
        let reader = output.fileHandleForReading
        var buffer = Data()
        func completeLines() -> Int { buffer.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } }
        let deadline = Date().addingTimeInterval(120)
        while completeLines() < count && Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        kill(process.processIdentifier, SIGKILL)
        // Lines already written before the kill are acknowledged too: read to end of file.
        buffer.append(reader.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // Only whole lines count; a torn last line was never fully acknowledged.
        var text = String(decoding: buffer, as: UTF8.self)
        if !text.hasSuffix("\n"), let cut = text.lastIndex(of: "\n") { text = String(text[...cut]) }
        let acknowledged = text.split(separator: "\n").map(String.init)
        let stderrText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(acknowledged.count >= count,
                "the load stopped early; is LedgerLoadCommand registered in the facepay root command? stderr: \(stderrText.suffix(2000))")
        return acknowledged
    }
}
