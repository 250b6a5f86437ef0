import FacePayCore
import Foundation
import GRDB
import Liveness
import Storage
import Testing

@Suite("liveness state in SQLite: challenges and the replay guard")
struct LivenessStoreTests {
    func openDatabase(at directory: URL? = nil) throws -> (AppDatabase, URL) {
        let url = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("facepay-liveness-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let database = try AppDatabase.open(path: url.appendingPathComponent("facepay.sqlite").path)
        _ = try database.addDeviceIfAbsent(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
        _ = try database.addDeviceIfAbsent(Device(id: "T-2", role: .terminal, merchantID: "M-1", createdAt: Date()))
        return (database, url)
    }

    @Test("a challenge survives a restart, is consumed once, and classifies every misuse")
    func challengeLifecycle() async throws {
        let (database, directory) = try openDatabase()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let challenge = ChallengeIssuer.makeChallenge(deviceID: "T-1", now: now, ttlSeconds: 30)
        #expect(try await SQLiteChallengeStore(database: database).insert(challenge, outstandingPerDeviceMax: 8, now: now) == .inserted)

        let (reopened, _) = try openDatabase(at: directory)
        let store = SQLiteChallengeStore(database: reopened)
        #expect(try await store.consume(id: challenge.id, deviceID: "T-2", now: now) == .otherDevice)
        guard case .consumed(let consumed) = try await store.consume(id: challenge.id, deviceID: "T-1", now: now.addingTimeInterval(1)) else {
            Issue.record("challenge was not consumed"); return
        }
        #expect(consumed.actions == challenge.actions)
        guard case .alreadyUsed = try await store.consume(id: challenge.id, deviceID: "T-1", now: now.addingTimeInterval(2)) else {
            Issue.record("a used challenge was accepted again"); return
        }
        #expect(try await store.consume(id: "chl_nosuchchallenge", deviceID: "T-1", now: now) == .unknown)

        let late = ChallengeIssuer.makeChallenge(deviceID: "T-1", now: now, ttlSeconds: 30)
        _ = try await store.insert(late, outstandingPerDeviceMax: 8, now: now)
        guard case .expired = try await store.consume(id: late.id, deviceID: "T-1", now: now.addingTimeInterval(31)) else {
            Issue.record("an expired challenge was accepted"); return
        }
    }

    @Test("two requests racing on one challenge: exactly one proceeds")
    func racingConsumers() async throws {
        let (database, _) = try openDatabase()
        let store = SQLiteChallengeStore(database: database)
        let now = Date()
        for _ in 0..<20 {
            let challenge = ChallengeIssuer.makeChallenge(deviceID: "T-1", now: now, ttlSeconds: 30)
            _ = try await store.insert(challenge, outstandingPerDeviceMax: 1000, now: now)
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        if case .consumed = try await store.consume(id: challenge.id, deviceID: "T-1", now: now) { return true }
                        return false
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
        }
    }

    @Test("a device holds at most the configured number of outstanding challenges")
    func outstandingBound() async throws {
        let (database, _) = try openDatabase()
        let store = SQLiteChallengeStore(database: database)
        let now = Date()
        for _ in 0..<3 {
            #expect(try await store.insert(ChallengeIssuer.makeChallenge(deviceID: "T-1", now: now, ttlSeconds: 30), outstandingPerDeviceMax: 3, now: now) == .inserted)
        }
        #expect(try await store.insert(ChallengeIssuer.makeChallenge(deviceID: "T-1", now: now, ttlSeconds: 30), outstandingPerDeviceMax: 3, now: now) == .tooManyOutstanding)
        #expect(try await store.insert(ChallengeIssuer.makeChallenge(deviceID: "T-2", now: now, ttlSeconds: 30), outstandingPerDeviceMax: 3, now: now) == .inserted)
    }

    @Test("a frame seen before is reported as seen, even after a restart; retention forgets it")
    func replayAcrossRestart() async throws {
        let (database, directory) = try openDatabase()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = FrameFingerprint(high: 1, low: 2)
        let second = FrameFingerprint(high: 3, low: 4)
        #expect(try await SQLiteReplayGuardStore(database: database, retentionSeconds: 3600).recordReturningSeen([first], now: now).isEmpty)

        let (reopened, _) = try openDatabase(at: directory)
        let store = SQLiteReplayGuardStore(database: reopened, retentionSeconds: 3600)
        #expect(try await store.recordReturningSeen([first, second], now: now.addingTimeInterval(10)) == [first])
        #expect(try await store.recordReturningSeen([second], now: now.addingTimeInterval(3700)).isEmpty, "retention expired")
    }

    @Test("fingerprints remembered by 0004's table carry over through migration 0005 and are still seen")
    func fingerprintsCarryOverMigration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-replay-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("facepay.sqlite").path
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let old = FrameFingerprint(high: 0xDEAD, low: 0xBEEF)
        // A database as a 0004 binary left it, with one remembered fingerprint.
        let before = try AppDatabase.open(path: path, migrations: Array(Migration.embedded.prefix(4)))
        try await before.pool.write { db in
            try db.execute(sql: "INSERT INTO frame_fingerprints (digest, last_seen_at_ms) VALUES (?, ?)",
                           arguments: [Data(old.bytes), Int64((now.timeIntervalSince1970 - 60) * 1000)])
        }
        try before.pool.close()

        let after = try AppDatabase.open(path: path)
        let store = SQLiteReplayGuardStore(database: after, retentionSeconds: 3600)
        #expect(try await store.recordReturningSeen([old, FrameFingerprint(high: 1, low: 1)], now: now) == [old])
        let tables = try await after.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("frame_fingerprints") && tables.contains("frame_sightings"))
    }

    @Test("the sightings log is pruned from its old end to the retention window and to the cap")
    func sightingsPruned() async throws {
        let (database, directory) = try openDatabase()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let store = SQLiteReplayGuardStore(database: database, retentionSeconds: 1000, fingerprintsMax: 600)
        // 256 calls (one prune) of 3 fingerprints each, one second apart.
        var all: [FrameFingerprint] = []
        for call in 0..<SQLiteReplayGuardStore.pruneEvery {
            let batch = (0..<3).map { FrameFingerprint(high: UInt64(call), low: UInt64($0)) }
            all += batch
            #expect(try await store.recordReturningSeen(batch, now: start.addingTimeInterval(Double(call))).isEmpty)
        }
        let kept = try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(digests)) / 16 FROM frame_sightings") ?? -1 }
        #expect(kept == 600, "the cap keeps the newest 600 fingerprints")

        // After a restart only what the table kept is remembered: the newest 200 calls' fingerprints.
        let (reopened, _) = try openDatabase(at: directory)
        let restarted = SQLiteReplayGuardStore(database: reopened, retentionSeconds: 1000, fingerprintsMax: 600)
        let now = start.addingTimeInterval(Double(SQLiteReplayGuardStore.pruneEvery))
        #expect(try await restarted.recordReturningSeen([all[0]], now: now).isEmpty, "pushed out by the cap")
        #expect(try await restarted.recordReturningSeen([all.last!], now: now) == [all.last!])
        // Past the retention window nothing is seen any more.
        #expect(try await restarted.recordReturningSeen([all[all.count - 2]], now: now.addingTimeInterval(2000)).isEmpty)
    }

    @Test("two concurrent calls carrying one fingerprint: exactly one of them sees it")
    func concurrentSightings() async throws {
        let (database, _) = try openDatabase()
        let store = SQLiteReplayGuardStore(database: database, retentionSeconds: 3600)
        let shared = FrameFingerprint(high: 42, low: 42)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let seen = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { try await !store.recordReturningSeen([shared], now: now).isEmpty } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(seen == 15)
    }
}
