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
}
