import FacePayCore
import Foundation
import GRDB
import Ledger
import Storage
import Stores
import Testing

@Suite struct GroupCommitWriterTests {
    /// 200 concurrent payments against a wallet that can afford exactly 37 of them.
    @Test func exactlyTheAffordablePaymentsArePosted() async throws {
        let test = try TestDatabase()
        let price: Int64 = 125
        let wallet = try test.wallet(balanceMinor: 37 * price)
        let labels = try await withGroupCommitWriter(test.database) { writer in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        try await writer.submit { db in
                            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: price), now: Date()).label
                        }
                    }
                }
                var labels: [String] = []
                for try await label in group { labels.append(label) }
                return labels
            }
        }
        #expect(labels.filter { $0 == "approved" }.count == 37)
        #expect(labels.filter { $0 == "declined:insufficient_funds" }.count == 163)
        let after = try test.account(wallet.id)
        #expect(after.availableMinor == 0)
        #expect(after.debitsPosted == 37 * price)
        #expect(try test.count("SELECT count(*) FROM transfers WHERE kind = 'payment'") == 37)
        #expect(try test.count("SELECT count(*) FROM payments WHERE status = 'declined' AND decline_code = 'insufficient_funds'") == 163)
        #expect(try test.database.verifyIntegrity().ok)
    }

    /// Submissions queued before the writer starts land in one batch; the failing one is rolled
    /// back alone and its caller alone gets the error.
    @Test func aFailingSubmissionIsRolledBackAlone() async throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        struct Refused: Error {}
        let writer = GroupCommitWriter(database: test.database)
        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<3 {
                group.addTask {
                    do {
                        let label = try await writer.submit { db -> String in
                            let decision = try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 100), now: Date())
                            if index == 1 { throw Refused() }
                            return decision.label
                        }
                        return (index, label)
                    } catch is Refused {
                        return (index, "refused")
                    }
                }
            }
            while writer.queuedCount < 3 { await Task.yield() }
            group.addTask { try await writer.run(); return (-1, "") }
            var outcomes: [Int: String] = [:]
            for _ in 0..<3 {
                let (index, label) = try await group.next()!
                outcomes[index] = label
            }
            writer.beginShutdown()
            try await group.waitForAll()
            return outcomes
        }
        #expect(outcomes == [0: "approved", 1: "refused", 2: "approved"])
        #expect(writer.statistics.batchesCommitted == 1)
        #expect(writer.statistics.largestBatch == 3)
        #expect(try test.count("SELECT count(*) FROM transfers WHERE kind = 'payment'") == 2)
        #expect(try test.count("SELECT count(*) FROM payments") == 2)
        #expect(try test.account(wallet.id).availableMinor == 800)
        #expect(try test.database.verifyIntegrity().ok)
    }

    @Test func aFullQueueRefusesAtOnce() async throws {
        let test = try TestDatabase()
        let writer = GroupCommitWriter(database: test.database, batchSizeMax: 4, queueDepthMax: 2)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<2 {
                group.addTask { try await writer.submit { _ in value } }
            }
            while writer.queuedCount < 2 { await Task.yield() }
            await #expect(throws: FacePayError(.unavailable, code: "overloaded",
                                               detail: "2 ledger writes are already waiting; retry later")) {
                try await writer.submit { _ in 99 }
            }
            group.addTask { try await writer.run(); return -1 }
            var values: Set<Int> = []
            for _ in 0..<2 { values.insert(try await group.next()!) }
            #expect(values == [0, 1])
            writer.beginShutdown()
            try await group.waitForAll()
        }
    }

    @Test func shutdownDrainsTheQueueThenRefuses() async throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 10_000)
        let writer = GroupCommitWriter(database: test.database, batchSizeMax: 3)
        let labels = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try await writer.submit { db in try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 1), now: Date()).label }
                }
            }
            while writer.queuedCount < 10 { await Task.yield() }
            writer.beginShutdown()
            group.addTask { try await writer.run(); return "stopped" }
            var labels: [String] = []
            for try await label in group { labels.append(label) }
            return labels
        }
        #expect(labels.filter { $0 == "approved" }.count == 10)
        #expect(writer.statistics.batchesCommitted == 4)
        await #expect(throws: FacePayError.self) { try await writer.submit { _ in 1 } }
        #expect(try test.account(wallet.id).availableMinor == 9_990)
    }

    /// A submission answered before its commit returns its value (or its error) once it ran, and
    /// a submission made after it sees its write; a queued write without answer precedes, in
    /// order, whatever the same caller submits next, and one that fails does not disturb its
    /// batch.
    @Test func answeredBeforeCommitAndQueuedWritesKeepTheOrder() async throws {
        let test = try TestDatabase()
        struct Refused: Error {}
        try await withGroupCommitWriter(test.database) { writer in
            let inserted = try await writer.submitAnsweredBeforeCommit { db -> Int in
                try db.execute(sql: "INSERT INTO devices (id, role, status, created_at) VALUES ('K-EARLY', 'kiosk', 'active', '2026-01-01T00:00:00.000Z')")
                return db.changesCount
            }
            #expect(inserted == 1)
            await #expect(throws: Refused.self) { try await writer.submitAnsweredBeforeCommit { _ -> Int in throw Refused() } }
            try writer.enqueueWithoutAnswer("test: a failing write") { _ in throw Refused() }
            try writer.enqueueWithoutAnswer("test: queued") { db in
                try db.execute(sql: "INSERT INTO devices (id, role, status, created_at) VALUES ('K-QUEUED', 'kiosk', 'active', '2026-01-01T00:00:00.000Z')")
            }
            let seen = try await writer.submit { db in
                try String.fetchAll(db, sql: "SELECT id FROM devices WHERE id IN ('K-EARLY', 'K-QUEUED') ORDER BY id")
            }
            #expect(seen == ["K-EARLY", "K-QUEUED"])
        }
        #expect(try test.count("SELECT count(*) FROM devices WHERE id IN ('K-EARLY', 'K-QUEUED')") == 2, "committed")
    }
}
