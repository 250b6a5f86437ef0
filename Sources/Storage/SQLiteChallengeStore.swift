import FacePayCore
import Foundation
import GRDB
import Liveness
import Stores

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

    /// Answered as soon as the insert has run, before its batch commits (see
    /// `GroupCommitWriter.submitAnsweredBeforeCommit`): a challenge lost to a crash in that
    /// window is harmless — using it fails as unknown and the terminal asks for another — and the
    /// terminal does not wait for an fsync before it can start capturing. Its use comes later in
    /// the same writer's order, so it always sees the insert.
    public func insert(_ challenge: Challenge, outstandingPerDeviceMax: Int, now: Date) async throws -> ChallengeInsertion {
        let work: @Sendable (Database) throws -> ChallengeInsertion = { db in
            var count = try RawStatement(db, """
                SELECT count(*) FROM challenges WHERE device_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?
                """)
            count.bind(challenge.deviceID)
            count.bind(now.epochMilliseconds)
            let outstanding = try LedgerRows.first(count) { $0.int64(0) } ?? 0
            guard outstanding < outstandingPerDeviceMax else { return .tooManyOutstanding }
            var insert = try RawStatement(db, """
                INSERT INTO challenges (id, device_id, actions, issued_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)
                """)
            insert.bind(challenge.id)
            insert.bind(challenge.deviceID)
            insert.bind(challenge.actionNames.joined(separator: ","))
            insert.bind(challenge.issuedAt.epochMilliseconds)
            insert.bind(challenge.expiresAt.epochMilliseconds)
            try insert.execute()
            return .inserted
        }
        if let writer { return try await writer.submitAnsweredBeforeCommit(work) }
        return try await database.pool.write(work)
    }

    public func consume(id: String, deviceID: String, now: Date) async throws -> ChallengeConsumption {
        try await write { db in
            let nowMs = now.epochMilliseconds
            var consume = try RawStatement(db, """
                UPDATE challenges SET used_at_ms = ?
                WHERE id = ? AND device_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?
                RETURNING \(Self.columns)
                """)
            consume.bind(nowMs)
            consume.bind(id)
            consume.bind(deviceID)
            consume.bind(nowMs)
            // Step to the end (not just the first row) so the UPDATE completes before the reset.
            var consumed: Challenge?
            defer { consume.reset() }
            while try consume.step() { consumed = try Self.challenge(from: consume) }
            if let consumed { return .consumed(consumed) }
            var lookup = try RawStatement(db, "SELECT \(Self.columns) FROM challenges WHERE id = ?")
            lookup.bind(id)
            guard let challenge = try LedgerRows.first(lookup, Self.challenge(from:)) else { return .unknown }
            guard challenge.deviceID == deviceID else { return .otherDevice }
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

    static let columns = "id, device_id, actions, issued_at_ms, expires_at_ms, used_at_ms"

    /// A row of `columns`, in that order.
    static func challenge(from row: RawStatement) throws -> Challenge {
        let names = row.string(2).split(separator: ",").map(String.init)
        let actions = names.compactMap(ChallengeAction.init(rawValue:))
        guard actions.count == names.count, !actions.isEmpty else {
            throw FacePayError(.internalFailure, code: "challenge_corrupt", detail: "stored challenge has unknown actions")
        }
        return Challenge(id: row.string(0), deviceID: row.string(1), actions: actions,
                         issuedAt: Date(epochMilliseconds: row.int64(3)),
                         expiresAt: Date(epochMilliseconds: row.int64(4)),
                         usedAt: row.optionalInt64(5).map(Date.init(epochMilliseconds:)))
    }
}
