import FacePayCore
import Foundation
import GRDB
import Ledger
import Liveness
@testable import Storage
import Stores
import Synchronization
import Testing

@Suite struct RetentionPurgeServiceTests {
    static func settings(batchRows: Int = 1_000) -> RetentionSettings {
        var settings = RetentionSettings()
        settings.purgeBatchRowsMax = batchRows
        return settings
    }

    @Test("expired challenges are deleted once their retention past expiry has passed, in bounded batches")
    func expiredChallengesAreDeleted() async throws {
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let store = SQLiteChallengeStore(database: test.database)
        let ids = (0..<7).map { _ in Identifier.make(.challenge) }
        for id in ids {
            let challenge = Challenge(id: id, deviceID: terminalID, actions: [.blink, .turnLeft],
                                      issuedAt: clock.now(), expiresAt: clock.now().addingTimeInterval(30))
            #expect(try await store.insert(challenge, outstandingPerDeviceMax: 100, now: clock.now()) == .inserted)
        }
        _ = try await store.consume(id: ids[0], deviceID: terminalID, now: clock.now())
        let service = RetentionPurgeService(database: test.database, clock: clock, settings: Self.settings(batchRows: 3))
        #expect(try await service.purgeDue().challenges == 0)
        clock.advance(seconds: 31)
        #expect(try await service.purgeDue().challenges == 0, "expired, but still inside the retention")
        guard case .expired = try await store.consume(id: ids[1], deviceID: terminalID, now: clock.now()) else {
            Issue.record("a late use inside the retention is told the challenge expired")
            return
        }
        clock.advance(seconds: RetentionSettings().challengeRetentionSeconds)
        let fresh = Challenge(id: Identifier.make(.challenge), deviceID: terminalID, actions: [.blink, .lookUp],
                              issuedAt: clock.now(), expiresAt: clock.now().addingTimeInterval(30))
        #expect(try await store.insert(fresh, outstandingPerDeviceMax: 100, now: clock.now()) == .inserted)
        let purged = try await service.purgeDue()
        #expect(purged.challenges == 7, "used or not, every expired challenge")
        #expect(purged.batches == 3 + 1, "7 rows in batches of at most 3, then the idempotency pass")
        #expect(try test.count("SELECT count(*) FROM challenges") == 1, "the one still valid stays")
        guard case .unknown = try await store.consume(id: ids[2], deviceID: terminalID, now: clock.now()) else {
            Issue.record("a purged challenge is unknown")
            return
        }
    }

    /// One idempotent operation as the payment routes run it, counting how often it really ran.
    static func submit(_ test: TestDatabase, key: String, now: Date, runs: Counter) throws -> IdempotentResponse {
        let fingerprint = RequestFingerprint(method: "POST", path: "/v1/payments", body: Data(#"{"amount":100}"#.utf8))
        return try test.database.pool.write { db in
            try Idempotency.run(db, deviceID: terminalID, key: key, fingerprint: fingerprint, now: now) { _ in
                runs.increment()
                return (201, Data(#"{"payment_id":"pay_1"}"#.utf8))
            }
        }
    }

    @Test("idempotency records: a retry inside the retention returns the first answer; after it the record is gone and a retry is a new request")
    func idempotencyRecordsExpire() async throws {
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let runs = Counter()
        let wallet = try test.wallet(balanceMinor: 1_000)
        try IncrementalVerificationTests.pay(test, wallet, times: 2)
        let ledgerRows = try test.count("SELECT (SELECT count(*) FROM transfers) + (SELECT count(*) FROM audit_events)")
        for index in 0..<5 { _ = try Self.submit(test, key: "key-\(index)", now: clock.now(), runs: runs) }
        #expect(runs.value == 5)
        let service = RetentionPurgeService(database: test.database, clock: clock, settings: Self.settings(batchRows: 2))

        clock.advance(seconds: 23 * 3600)
        #expect(try await service.purgeDue().idempotencyRecords == 0)
        let retry = try Self.submit(test, key: "key-0", now: clock.now(), runs: runs)
        #expect(retry.replayed && retry.status == 201 && runs.value == 5, "inside the retention: the first answer, not run again")
        _ = try Self.submit(test, key: "key-late", now: clock.now(), runs: runs)

        clock.advance(seconds: 3600 + 1)
        let purged = try await service.purgeDue()
        #expect(purged.idempotencyRecords == 5)
        #expect(purged.batches == 1 + 3, "the challenge pass, then 5 rows in batches of at most 2")
        #expect(try test.count("SELECT count(*) FROM idempotency_records") == 1, "the younger key stays")
        #expect(try test.count("SELECT (SELECT count(*) FROM transfers) + (SELECT count(*) FROM audit_events)") == ledgerRows,
                "only retry guarantees expire, never a transfer or an audit event")

        let late = try Self.submit(test, key: "key-0", now: clock.now(), runs: runs)
        #expect(!late.replayed && runs.value == 7, "after the retention the same key is a new request")
    }
}

/// A count shared with a `@Sendable` closure.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

