import FacePayCore
import Foundation
import GRDB
import Simulator
@testable import Storage
import Stores
import Synchronization
import Testing

/// Holds the database's one writer connection on a thread of its own until `release()`: every
/// write of the server (challenge consumption, commits) waits behind it, so a request can be
/// caught in the middle of its work while another one arrives.
final class WriterHold: @unchecked Sendable {
    private let acquired = DispatchSemaphore(value: 0)
    private let released = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(_ database: AppDatabase) {
        let (acquired, released, finished) = (acquired, released, finished)
        Thread.detachNewThread {
            try? database.pool.writeWithoutTransaction { _ in
                acquired.signal()
                released.wait()
            }
            finished.signal()
        }
        acquired.wait()
    }

    func release() {
        released.signal()
        finished.wait()
    }
}

@Suite("races: concurrent retries, enrolments and erasures")
struct RaceTests {
    @Test("two identical payments at once: one approval, one 409 idempotency_in_progress that counts no failure; a later retry gets the approval")
    func concurrentIdenticalPayments() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            _ = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 5000)
            let face = try await shoppers.face(of: jane, for: terminal)
            let body = Shoppers.body(#""amount":700,"currency":"EUR""#, face: face)
            let headers = [("Idempotency-Key", "same-key")]

            // The first request to claim the key stalls on the held writer; the other arrives meanwhile.
            let hold = WriterHold(server.database)
            let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
                for _ in 0..<2 { group.addTask { try await terminal.send(.POST, "/v1/payments", body: body, headers: headers) } }
                let first = try #require(try await group.next())
                hold.release()
                let second = try #require(try await group.next())
                return [first, second]
            }
            #expect(replies[0].status == 409)
            #expect(try replies[0].json()["code"] as? String == "idempotency_in_progress")
            #expect(replies[0].retryAfter != nil)
            #expect(replies[1].status == 201)
            let approval = try replies[1].json()
            #expect(approval["status"] as? String == "approved")

            let retry = try await terminal.send(.POST, "/v1/payments", body: body, headers: headers)
            #expect(retry.status == 201)
            #expect(try retry.json()["id"] as? String == approval["id"] as? String)
            // Nothing of the refused twin reached liveness, the lockout or the ledger.
            #expect(!server.metrics.exposition().contains("facepay_liveness_failures"))
            let decisions = try await auditor.send(.GET, "/v1/audit/events?action=payment.approved").json()
            #expect((decisions["events"] as? [[String: Any]])?.count == 1)
            let declines = try await auditor.send(.GET, "/v1/audit/events?action=payment.declined").json()
            #expect((declines["events"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test("two concurrent enrolments of one face: exactly one customer, the other 409 already_enrolled")
    func concurrentEnrolments() async throws {
        try await TestServer.with { server in
            let (_, _, kiosk, _) = try server.cast()
            let secondKiosk = try server.registerDevice("K-2", role: .kiosk)
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let faces = [try await shoppers.face(of: jane, for: kiosk), try await shoppers.face(of: jane, for: secondKiosk)]
            let fields = #""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":0,"currency":"EUR"}"#
            let hold = WriterHold(server.database)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for (index, client) in [kiosk, secondKiosk].enumerated() {
                    let face = faces[index]
                    group.addTask {
                        let reply = try await client.send(.POST, "/v1/customers", body: Shoppers.body(fields, face: face),
                                                          headers: [("Idempotency-Key", "enrol-\(index)")])
                        return (reply.status, try reply.json()["code"] as? String)
                    }
                }
                // Both are past liveness or waiting on the writer: let them race.
                try await Task.sleep(for: .milliseconds(200))
                hold.release()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.map(\.0).sorted() == [201, 409], "\(statuses)")
            #expect(statuses.contains { $0.0 == 409 && $0.1 == "already_enrolled" })
            let customers = try await server.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM customers") }
            #expect(customers == 1)
        }
    }

    @Test("an erasure whose commit fails leaves the customer as they were; the retry erases")
    func erasureRetry() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let (customerID, _) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 3000)
            // A commit that fails the way a full disk does: the template delete aborts the batch.
            try await server.database.pool.write { db in
                try db.execute(sql: "CREATE TRIGGER fail_erasure BEFORE DELETE ON face_templates BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            }
            let path = "/v1/customers/\(customerID)/biometrics"
            let failed = try await kiosk.send(.DELETE, path, body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)),
                                              headers: [("Idempotency-Key", "erase-1")])
            #expect(failed.status >= 500)
            // Still enrolled and still in the index: the same key may be retried.
            #expect(try await shoppers.pay(jane, terminal: terminal, amount: 100).json()["status"] as? String == "approved")
            try await server.database.pool.write { db in try db.execute(sql: "DROP TRIGGER fail_erasure") }

            let erased = try await kiosk.send(.DELETE, path, body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)),
                                              headers: [("Idempotency-Key", "erase-2")])
            #expect(erased.status == 204)
            #expect(try await shoppers.pay(jane, terminal: terminal, amount: 100).json()["decline_code"] as? String == "no_match")
            let rows = try await server.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM face_templates") }
            #expect(rows == 0)
        }
    }

    @Test("an erasure outlives a restart and the restore of a backup taken before it")
    func erasureSurvivesRestoredBackup() async throws {
        let directory = try PersistentDataDirectory.make()
        defer { directory.remove() }
        let backupPath = directory.root.appendingPathComponent("before-erasure.sqlite").path
        let seed = PaymentStoryTests.seed()
        let customer = Mutex<String?>(nil)
        try await directory.withServer { server, _, _ in
            let (_, _, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: seed)
            let jane = shoppers.person()
            let (customerID, _) = try await shoppers.enrol(jane, kiosk: kiosk)
            customer.withLock { $0 = customerID }
            _ = try server.database.backup(to: backupPath)
            let erased = try await kiosk.send(.DELETE, "/v1/customers/\(customerID)/biometrics",
                                              body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)),
                                              headers: [("Idempotency-Key", "erase")])
            #expect(erased.status == 204)
        }
        let customerID = try #require(customer.withLock { $0 })
        // The operator restores the older backup over the live database; the journal stays.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory.databasePath + suffix) }
        try FileManager.default.copyItem(atPath: backupPath, toPath: directory.databasePath)
        #expect(FileManager.default.fileExists(atPath: AppDatabase.erasureJournalPath(ofBackup: backupPath)))

        try await directory.withServer { server, report, _ in
            #expect(report.loaded == 1, "the restored backup still held the template when the gallery loaded")
            let terminal = try server.client(certificateFor: "T-1", role: "terminal")
            let auditor = try server.client(certificateFor: "A-1", role: "auditor")
            var shoppers = Shoppers(server: server, seed: seed)
            let jane = shoppers.person()
            // Fresh captures, not the first server's (those would be declined as replays).
            for _ in 0..<8 { _ = shoppers.person() }
            let face = try await shoppers.face(of: jane, for: terminal)
            let verification = try await terminal.send(.POST, "/v1/verifications",
                                                       body: Shoppers.body(#""customer_id":"\#(customerID)""#, face: face)).json()
            #expect(verification["verified"] as? Bool == false)
            #expect(verification["failure_code"] as? String == "no_match", "a live capture, refused because the face is gone")
            #expect(try await shoppers.pay(jane, terminal: terminal, amount: 100).json()["decline_code"] as? String == "no_match")
            let rows = try await server.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM face_templates") }
            #expect(rows == 0)
            let events = try await auditor.send(.GET, "/v1/audit/events?action=customer.biometrics_erased").json()
            let reapplied = (events["events"] as? [[String: Any]])?.filter { ($0["detail"] as? String)?.contains(#""reapplied_from_journal":true"#) == true }
            #expect(reapplied?.count == 1)
        }
    }
}
