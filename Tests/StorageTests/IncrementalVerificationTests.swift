import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

/// `GET /v1/audit/verify` and the console verify from the persisted last verified state: these
/// tests count rows read (never time) and tamper the way an attacker holding the file would.
@Suite struct IncrementalVerificationTests {
    static func pay(_ test: TestDatabase, _ wallet: Account, times: Int, amountMinor: Int64 = 1) throws {
        try test.database.pool.write { db in
            for _ in 0..<times { _ = try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: amountMinor), now: Date()) }
        }
    }

    /// A ledger of `payments` payments from one wallet, verified once; then `more` payments and the
    /// run that checks them.
    static func runAfter(payments: Int, more: Int) async throws -> (first: IntegrityRun, second: IntegrityRun) {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000_000)
        try pay(test, wallet, times: payments)
        let first = try await test.database.verifyIntegrityIncrementally()
        try pay(test, wallet, times: more)
        let second = try await test.database.verifyIntegrityIncrementally()
        return (first, second)
    }

    @Test("verify after N more payments reads O(N) rows, the same on a ledger ten times longer")
    func costFollowsNewRowsNotTheLedger() async throws {
        let small = try await Self.runAfter(payments: 30, more: 5)
        let large = try await Self.runAfter(payments: 300, more: 5)
        for run in [small, large] {
            #expect(run.first.report.ok && run.second.report.ok)
            #expect(run.first.report.mode == .incremental)
            #expect(run.second.report.transfersChecked == 5, "only the new payments' transfers")
            #expect(run.second.report.eventsChecked == 5, "one audit event per payment")
        }
        // The first run from the genesis state reads the whole ledger: it grows with it.
        #expect(large.first.rowsRead > small.first.rowsRead + 500)
        // The next reads the same rows whatever came before: the new events and transfers, the two
        // accounts and five payments they touch, the state, the head row and the triggers.
        #expect(large.second.rowsRead == small.second.rowsRead)
        #expect(large.second.rowsRead <= 5 * 4 + 20, "rows read: \(large.second.rowsRead)")
    }

    @Test("tampering with an event after the verified head is found, and the state does not advance")
    func tamperingAfterTheHeadIsFound() async throws {
        let (test, wallet) = try IntegrityVerifierTests.populated()
        let verified = try await test.database.verifyIntegrityIncrementally()
        #expect(verified.report.ok)
        try Self.pay(test, wallet, times: 2)
        let head = try #require(try test.database.auditHead())
        try IntegrityVerifierTests.tamper(test, table: "audit_events",
                                          "UPDATE audit_events SET detail = replace(detail, '\"1\"', '\"2\"'), actor = 'X' WHERE seq = ?", [head.seq])
        for _ in 0..<2 {
            let run = try await test.database.verifyIntegrityIncrementally()
            #expect(!run.report.ok)
            #expect(run.report.problems.map(\.row) == ["seq \(head.seq)"])
            #expect(run.report.problems.first?.check == "hash")
            #expect(run.report.eventsChecked == 2)
            #expect(try test.database.integrityState() == verified.end, "a failed run leaves the state where it was")
        }
    }

    @Test("an edited verified head row is found: the chain resumes from it")
    func anEditedHeadRowIsFound() async throws {
        let (test, _) = try IntegrityVerifierTests.populated()
        let verified = try await test.database.verifyIntegrityIncrementally()
        try IntegrityVerifierTests.tamper(test, table: "audit_events", "UPDATE audit_events SET actor = 'X' WHERE seq = ?",
                                          [verified.end.auditHead.seq])
        let run = try await test.database.verifyIntegrityIncrementally()
        #expect(run.report.problems.map(\.row) == ["seq \(verified.end.auditHead.seq)"])
        #expect(run.report.eventsChecked == 0)
    }

    @Test("a new transfer edited after the head names its accounts and payment")
    func anEditedNewTransferIsFound() async throws {
        let (test, wallet) = try IntegrityVerifierTests.populated()
        #expect(try await test.database.verifyIntegrityIncrementally().report.ok)
        try Self.pay(test, wallet, times: 1, amountMinor: 40)
        let transfer = try #require(try test.database.transfers(TransferQuery(accountID: wallet.id)).transfers.last)
        try IntegrityVerifierTests.tamper(test, table: "transfers", "UPDATE transfers SET amount = 30 WHERE id = ?", [transfer.id])
        let run = try await test.database.verifyIntegrityIncrementally()
        #expect(run.report.transfersChecked == 1)
        #expect(Set(run.report.problems.filter { $0.table == "accounts" }.map(\.row)) == [wallet.id, transfer.creditAccountID])
        #expect(run.report.problems.contains { $0.table == "payments" && $0.check == "amount_captured" })
    }

    @Test("a full verify finds tampering anywhere, also below the verified head, which an incremental run no longer re-hashes")
    func fullVerifyFindsTamperingAnywhere() async throws {
        let (test, _) = try IntegrityVerifierTests.populated()
        #expect(try await test.database.verifyIntegrityIncrementally().report.ok)
        try IntegrityVerifierTests.tamper(test, table: "audit_events", "UPDATE audit_events SET actor = 'X' WHERE seq = 2", [])
        #expect(try await test.database.verifyIntegrityIncrementally().report.ok, "below the head: only --full re-hashes")
        let full = try test.database.verifyIntegrityFully()
        #expect(full.report.mode == .full)
        #expect(full.report.problems.map(\.row) == ["seq 2"])
    }

    @Test("a dropped immutability trigger is reported by every incremental run")
    func droppedTriggerIsReportedIncrementally() async throws {
        let (test, _) = try IntegrityVerifierTests.populated()
        #expect(try await test.database.verifyIntegrityIncrementally().report.ok)
        try await test.database.pool.write { db in try db.execute(sql: "DROP TRIGGER audit_events_no_update") }
        let run = try await test.database.verifyIntegrityIncrementally()
        #expect(run.report.problems.map(\.row) == ["audit_events_no_update"])
    }

    @Test("holds left open by a verified run are resolved by a later capture")
    func holdsCarryAcrossRuns() async throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        let held = try await test.database.pool.write { db in
            try (0..<2).map { _ in
                try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 100, method: .manual,
                                                       holdExpiresAt: Date().addingTimeInterval(3600)), now: Date()).paymentID
            }
        }
        #expect(try await test.database.verifyIntegrityIncrementally().report.ok)
        #expect(try test.count("SELECT count(*) FROM integrity_open_holds") == 2)
        let captured = try #require(held[0])
        _ = try await test.database.pool.write { db in
            try LedgerStore.capture(db, paymentID: captured, amountMinor: 60, deviceID: terminalID, now: Date())
        }
        let run = try await test.database.verifyIntegrityIncrementally()
        #expect(run.report.ok, "\(run.report.problems)")
        #expect(run.report.transfersChecked == 1)
        #expect(try test.count("SELECT count(*) FROM integrity_open_holds") == 1)
        #expect(try test.database.verifyIntegrityFully().report.ok)
        #expect(try test.count("SELECT count(*) FROM integrity_open_holds") == 1, "the full run stores the same state")
    }

    @Test("the verified state survives closing and reopening the database")
    func stateSurvivesAReopen() async throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        try Self.pay(test, wallet, times: 3)
        let verified = try await test.database.verifyIntegrityIncrementally()
        let reopened = try AppDatabase.open(path: test.path)
        defer { try? reopened.pool.close() }
        #expect(try reopened.integrityState() == verified.end)
        #expect(verified.end.transferSeq == 4)
        let again = try await reopened.verifyIntegrityIncrementally()
        #expect(again.report.ok)
        #expect(again.report.eventsChecked == 0 && again.report.transfersChecked == 0)
        #expect(again.report.head == verified.end.auditHead)
    }
}
