import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

@Suite struct IntegrityVerifierTests {
    /// Edits rows the way an attacker with the file would: drop the triggers, update, recreate.
    static func tamper(_ test: TestDatabase, table: String, _ sql: String, _ arguments: StatementArguments) throws {
        try test.database.pool.write { db in
            let triggers = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                            arguments: [table])
            for trigger in triggers { try db.execute(sql: "DROP TRIGGER \(trigger["name"] as String)") }
            try db.execute(sql: sql, arguments: arguments)
            for trigger in triggers { try db.execute(sql: trigger["sql"]) }
        }
    }

    static func populated() throws -> (TestDatabase, Account) {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        for amount: Int64 in [100, 200, 300] {
            _ = try test.database.pool.write { db in try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: amount), now: Date()) }
        }
        return (test, wallet)
    }

    @Test func aCleanLedgerVerifies() throws {
        let (test, _) = try Self.populated()
        let report = try test.database.verifyIntegrity()
        #expect(report.ok)
        #expect(report.problems.isEmpty)
        let events = try test.count("SELECT count(*) FROM audit_events")
        #expect(report.eventsChecked == events)
        #expect(report.transfersChecked == 4)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(json.contains("\"events_checked\""))
        #expect(json.contains("\"transfers_checked\":4"))
        #expect(json.contains("\"ok\":true"))
    }

    @Test func anEditedAuditRowIsNamed() throws {
        let (test, _) = try Self.populated()
        let target = try #require(try test.database.auditEvents(AuditEventQuery(action: "payment.approved")).events.dropFirst().first)
        try Self.tamper(test, table: "audit_events", "UPDATE audit_events SET detail = replace(detail, '200', '20') WHERE seq = ?", [target.seq])
        let report = try test.database.verifyIntegrity()
        #expect(!report.ok)
        #expect(report.problems.map(\.row) == ["seq \(target.seq)"])
        #expect(report.problems.first?.table == "audit_events")
        #expect(report.problems.first?.check == "hash")
    }

    @Test func aRewrittenHashBreaksTheNextLink() throws {
        let (test, _) = try Self.populated()
        try Self.tamper(test, table: "audit_events", "UPDATE audit_events SET hash = ? WHERE seq = 2", [String(repeating: "a", count: 64)])
        let report = try test.database.verifyIntegrity()
        #expect(Set(report.problems.map(\.row)) == ["seq 2", "seq 3"])
        #expect(report.problems.contains { $0.row == "seq 3" && $0.check == "prev_hash" })
    }

    @Test func aDeletedAuditRowLeavesAGap() throws {
        let (test, _) = try Self.populated()
        try Self.tamper(test, table: "audit_events", "DELETE FROM audit_events WHERE seq = 3", [])
        let report = try test.database.verifyIntegrity()
        #expect(report.problems.contains { $0.row == "seq 4" && $0.check == "seq" })
        #expect(report.problems.contains { $0.row == "seq 4" && $0.check == "prev_hash" })
    }

    @Test func anEditedTransferNamesItsAccounts() throws {
        let (test, wallet) = try Self.populated()
        let transfer = try #require(try test.database.transfers(TransferQuery(accountID: wallet.id)).transfers.last)
        try Self.tamper(test, table: "transfers", "UPDATE transfers SET amount = amount - 50 WHERE id = ?", [transfer.id])
        let report = try test.database.verifyIntegrity()
        #expect(!report.ok)
        let wrongCounters = report.problems.filter { $0.table == "accounts" }
        #expect(Set(wrongCounters.map(\.row)) == [wallet.id, transfer.creditAccountID])
        let walletProblem = try #require(wrongCounters.first { $0.row == wallet.id })
        #expect(walletProblem.check == "debits_posted")
        #expect(walletProblem.expected.hasPrefix("550"))
        #expect(walletProblem.found == "600")
        #expect(report.problems.contains { $0.table == "payments" && $0.check == "amount_captured" })
    }

    @Test func aDroppedImmutabilityTriggerIsReported() throws {
        let (test, _) = try Self.populated()
        try test.database.pool.write { db in try db.execute(sql: "DROP TRIGGER transfers_no_delete") }
        let report = try test.database.verifyIntegrity()
        #expect(report.problems == [IntegrityProblem(table: "sqlite_master", row: "transfers_no_delete", check: "trigger",
                                                     expected: "present", found: "missing")])
    }

    @Test func anOverdrawnWalletIsReported() throws {
        let (test, wallet) = try Self.populated()
        // Both the counter and the transfer, so only the balance rule catches it.
        try test.database.pool.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "UPDATE accounts SET debits_posted = debits_posted + 1000 WHERE id = ?", arguments: [wallet.id])
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
        }
        let report = try test.database.verifyIntegrity()
        #expect(report.problems.contains { $0.row == wallet.id && $0.check == "available_balance" && $0.found == "-600" })
        #expect(report.problems.contains { $0.table == "ledger" && $0.check == "total_posted" })
    }
}
