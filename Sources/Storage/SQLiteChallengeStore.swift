import FacePayCore
import Foundation
import GRDB
import Liveness
import Synchronization

/// Challenges in SQLite, so they survive a restart. Consuming is one conditional UPDATE: of two
/// requests racing on one challenge, only one can move `used_at_ms` from NULL.
///
/// Writes go through the group-commit writer when one is given (the server), so issuing and
/// consuming challenges share the payments' transactions and fsyncs instead of paying one each.
public struct SQLiteChallengeStore: ChallengeStore {
    let database: AppDatabase
    let writer: GroupCommitWriter?

    public init(database: AppDatabase, writer: GroupCommitWriter? = nil) {
        self.database = database
        self.writer = writer
    }

    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let writer { return try await writer.submit(work) }
        return try await database.pool.write(work)
    }

    public func insert(_ challenge: Challenge, outstandingPerDeviceMax: Int, now: Date) async throws -> ChallengeInsertion {
        try await write { db in
            let outstanding = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM challenges WHERE device_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?
                """, arguments: [challenge.deviceID, now.epochMilliseconds]) ?? 0
            guard outstanding < outstandingPerDeviceMax else { return .tooManyOutstanding }
            try db.execute(sql: """
                INSERT INTO challenges (id, device_id, actions, issued_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)
                """, arguments: [challenge.id, challenge.deviceID, challenge.actionNames.joined(separator: ","),
                                 challenge.issuedAt.epochMilliseconds, challenge.expiresAt.epochMilliseconds])
            return .inserted
        }
    }

    public func consume(id: String, deviceID: String, now: Date) async throws -> ChallengeConsumption {
        try await write { db in
            let nowMs = now.epochMilliseconds
            if let row = try Row.fetchOne(db, sql: """
                UPDATE challenges SET used_at_ms = ?
                WHERE id = ? AND device_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?
                RETURNING id, device_id, actions, issued_at_ms, expires_at_ms, used_at_ms
                """, arguments: [nowMs, id, deviceID, nowMs]) {
                return .consumed(try Self.challenge(from: row))
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM challenges WHERE id = ?", arguments: [id]) else {
                return .unknown
            }
            guard row["device_id"] as String == deviceID else { return .otherDevice }
            let challenge = try Self.challenge(from: row)
            if challenge.usedAt != nil { return .alreadyUsed(challenge) }
            return .expired(challenge)
        }
    }

    public func deleteExpired(before cutoff: Date) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM challenges WHERE expires_at_ms < ?", arguments: [cutoff.epochMilliseconds])
            return db.changesCount
        }
    }

    static func challenge(from row: Row) throws -> Challenge {
        let names = (row["actions"] as String).split(separator: ",").map(String.init)
        let actions = names.compactMap(ChallengeAction.init(rawValue:))
        guard actions.count == names.count, !actions.isEmpty else {
            throw FacePayError(.internalFailure, code: "challenge_corrupt", detail: "stored challenge has unknown actions")
        }
        return Challenge(id: row["id"], deviceID: row["device_id"], actions: actions,
                         issuedAt: Date(epochMilliseconds: row["issued_at_ms"]),
                         expiresAt: Date(epochMilliseconds: row["expires_at_ms"]),
                         usedAt: (row["used_at_ms"] as Int64?).map(Date.init(epochMilliseconds:)))
    }
}

/// The replay guard's memory in SQLite: every frame fingerprint ever received, with the time it
/// was last seen. Bounded: entries older than `retentionSeconds` are forgotten, and when the table
/// holds more than `fingerprintsMax` the oldest go first (pruned every `pruneEvery` calls).
public final class SQLiteReplayGuardStore: ReplayGuardStore {
    let database: AppDatabase
    let writer: GroupCommitWriter?
    let retentionSeconds: Double
    let fingerprintsMax: Int
    private let calls = Mutex(0)
    static let pruneEvery = 256

    public init(database: AppDatabase, writer: GroupCommitWriter? = nil, retentionSeconds: Double = 30 * 86_400,
                fingerprintsMax: Int = 10_000_000) {
        precondition(retentionSeconds > 0 && fingerprintsMax > 0)
        self.database = database
        self.writer = writer
        self.retentionSeconds = retentionSeconds
        self.fingerprintsMax = fingerprintsMax
    }

    public func recordReturningSeen(_ fingerprints: [FrameFingerprint], now: Date) async throws -> Set<FrameFingerprint> {
        let nowMs = now.epochMilliseconds
        let horizonMs = nowMs - Int64(retentionSeconds * 1000)
        let prune = calls.withLock { count -> Bool in
            count += 1
            return count % Self.pruneEvery == 0
        }
        let fingerprintsMax = fingerprintsMax
        let work: @Sendable (Database) throws -> Set<FrameFingerprint> = { db in
            var seen: Set<FrameFingerprint> = []
            let select = try db.cachedStatement(sql: "SELECT 1 FROM frame_fingerprints WHERE digest = ? AND last_seen_at_ms > ?")
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO frame_fingerprints (digest, last_seen_at_ms) VALUES (?, ?)
                ON CONFLICT (digest) DO UPDATE SET last_seen_at_ms = excluded.last_seen_at_ms
                """)
            for fingerprint in fingerprints {
                let digest = Data(fingerprint.bytes)
                if try Int.fetchOne(select, arguments: [digest, horizonMs]) != nil { seen.insert(fingerprint) }
                try upsert.execute(arguments: [digest, nowMs])
            }
            if prune {
                try db.execute(sql: "DELETE FROM frame_fingerprints WHERE last_seen_at_ms <= ?", arguments: [horizonMs])
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM frame_fingerprints") ?? 0
                if count > fingerprintsMax {
                    try db.execute(sql: """
                        DELETE FROM frame_fingerprints WHERE digest IN
                        (SELECT digest FROM frame_fingerprints ORDER BY last_seen_at_ms LIMIT ?)
                        """, arguments: [count - fingerprintsMax])
                }
            }
            return seen
        }
        if let writer { return try await writer.submit(work) }
        return try await database.pool.write(work)
    }
}

extension Date {
    var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    init(epochMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000) }
}
