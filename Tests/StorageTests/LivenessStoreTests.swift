import FacePayCore
import Foundation
import GRDB
import Liveness
@testable import Storage
import Stores
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

    static func randomCode(_ random: inout SeededRandom) -> ReplayCode {
        ReplayCode(words: SIMD8((0..<8).map { _ in random.next() }))
    }

    /// A replay guard over `database` with small bounds (no writer: each call commits).
    func replayGuard(_ database: AppDatabase, retentionSeconds: Double = 3600, framesMax: Int = 10_000) -> SQLiteReplayGuardStore {
        var settings = LivenessSettings()
        settings.replayRetentionSeconds = retentionSeconds
        settings.replayFramesMax = framesMax
        return SQLiteReplayGuardStore(database: database, settings: settings, coder: .fixed("storage-tests"))
    }

    @Test("a frame seen before is near, even after a restart and with a few bits flipped; retention forgets it")
    func replayAcrossRestart() async throws {
        let (database, directory) = try openDatabase()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var random = SeededRandom(seed: 1)
        let first = Self.randomCode(&random)
        let second = Self.randomCode(&random)
        #expect(try await replayGuard(database).screen([first], challengeID: UUID().uuidString, now: now).nearFrames == 0)

        let (reopened, _) = try openDatabase(at: directory)
        let store = replayGuard(reopened)
        var flipped = first
        flipped.words[5] ^= 0b1011
        #expect(try await store.screen([flipped, second], challengeID: UUID().uuidString, now: now.addingTimeInterval(10)).nearFrames == 1)
        #expect(try await store.screen([second], challengeID: UUID().uuidString, now: now.addingTimeInterval(3700)).nearFrames == 0, "retention expired")
    }

    @Test("migration 0008 replaces 0005's exact fingerprints with the code log (their memory is dropped)")
    func migrationReplacesFingerprints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-replay-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("facepay.sqlite").path
        // A database as a 0007 binary left it, with one remembered fingerprint.
        let before = try AppDatabase.open(path: path, migrations: Array(Migration.embedded.prefix(7)))
        try await before.pool.write { db in
            try db.execute(sql: "INSERT INTO frame_sightings (digests, seen_at_ms, running_total) VALUES (?, 1, 1)",
                           arguments: [Data(repeating: 7, count: 16)])
        }
        try before.pool.close()

        let after = try AppDatabase.open(path: path)
        let tables = try await after.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("frame_sightings") && tables.contains("replay_sightings"))
        var random = SeededRandom(seed: 2)
        #expect(try await replayGuard(after).screen([Self.randomCode(&random)], challengeID: UUID().uuidString, now: Date()).nearFrames == 0)
    }

    @Test("the sightings log is pruned from its old end to the retention window and to the cap")
    func sightingsPruned() async throws {
        let (database, directory) = try openDatabase()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let store = replayGuard(database, retentionSeconds: 1000, framesMax: 600)
        var random = SeededRandom(seed: 3)
        // 256 calls (one prune) of 3 frames each, one second apart.
        var all: [ReplayCode] = []
        for call in 0..<SQLiteReplayGuardStore.pruneEvery {
            let batch = (0..<3).map { _ in Self.randomCode(&random) }
            all += batch
            #expect(try await store.screen(batch, challengeID: UUID().uuidString, now: start.addingTimeInterval(Double(call))).nearFrames == 0)
        }
        let kept = try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(codes)) / 64 FROM replay_sightings") ?? -1 }
        #expect(kept == 600, "the cap keeps the newest 600 frames")

        // After a restart only what the table kept is remembered: the newest 200 calls' frames.
        let (reopened, _) = try openDatabase(at: directory)
        let restarted = replayGuard(reopened, retentionSeconds: 1000, framesMax: 600)
        let now = start.addingTimeInterval(Double(SQLiteReplayGuardStore.pruneEvery))
        #expect(try await restarted.screen([all[0]], challengeID: UUID().uuidString, now: now).nearFrames == 0, "pushed out by the cap")
        let newest = try await restarted.screen([all.last!], challengeID: UUID().uuidString, now: now)
        #expect(newest.nearFrames == 1)
        #expect(newest.captureID > Int64(SQLiteReplayGuardStore.pruneEvery), "capture ids continue after a restart")
        // Past the retention window nothing is near any more.
        #expect(try await restarted.screen([all[all.count - 2]], challengeID: UUID().uuidString, now: now.addingTimeInterval(2000)).nearFrames == 0)
    }

    @Test("two concurrent calls carrying one frame: exactly one of them finds it near")
    func concurrentSightings() async throws {
        let (database, _) = try openDatabase()
        let store = replayGuard(database)
        var random = SeededRandom(seed: 4)
        let shared = Self.randomCode(&random)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let near = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 { group.addTask { try await store.screen([shared], challengeID: UUID().uuidString, now: now).nearFrames } }
            return try await group.reduce(0, +)
        }
        #expect(near == 15)
    }

    @Test("an erased customer's attributed captures are deleted and forgotten; others stay")
    func erasureForgetsAttributedCaptures() async throws {
        let (database, directory) = try openDatabase()
        let store = replayGuard(database)
        var random = SeededRandom(seed: 5)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let theirs = (0..<5).map { _ in Self.randomCode(&random) }
        let anonymous = (0..<5).map { _ in Self.randomCode(&random) }
        let theirID = try await store.screen(theirs, challengeID: UUID().uuidString, now: now).captureID
        _ = try await store.screen(anonymous, challengeID: UUID().uuidString, now: now)
        try await database.pool.write { db in try SQLiteReplayGuardStore.attribute(db, captureID: theirID, customerID: "cus_erased") }
        let deleted = try await database.pool.write { db in try SQLiteReplayGuardStore.deleteSightings(db, customerID: "cus_erased") }
        #expect(deleted == [theirID])
        store.forget(captureIDs: deleted)
        #expect(try await store.screen(theirs, challengeID: UUID().uuidString, now: now).nearFrames == 0)
        #expect(try await store.screen(anonymous, challengeID: UUID().uuidString, now: now).nearFrames == 5)
        // Nor after a restart: the row is gone.
        let (reopened, _) = try openDatabase(at: directory)
        let rows = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM replay_sightings WHERE customer_id IS NOT NULL") }
        #expect(rows == 0)
    }
}
