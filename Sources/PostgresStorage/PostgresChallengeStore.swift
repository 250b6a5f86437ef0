import FacePayCore
import Foundation
import Liveness
import PostgresNIO
import Stores

/// Challenges on the shared database: issued on one node, consumed on any, exactly once — the
/// consume is one conditional `UPDATE … RETURNING`, which PostgreSQL runs for one transaction at
/// a time per row.
public struct PostgresChallengeStore: ChallengeStore {
    let database: PostgresDatabase

    public init(database: PostgresDatabase) {
        self.database = database
    }

    public func insert(_ challenge: Challenge, outstandingPerDeviceMax: Int, now: Date) async throws -> ChallengeInsertion {
        try await database.transaction { connection in
            // Per device, so two nodes issuing to one terminal at once cannot both pass the count.
            try await PostgresRows.execute(connection, "SELECT pg_advisory_xact_lock(hashtext(\("challenge:" + challenge.deviceID)))")
            let outstanding = try await PostgresRows.first(connection, """
                SELECT count(*)::BIGINT AS n FROM challenges
                WHERE device_id = \(challenge.deviceID) AND used_at_ms IS NULL AND expires_at_ms > \(now.epochMilliseconds)
                """) { try $0["n"].decode(Int64.self) } ?? 0
            guard outstanding < outstandingPerDeviceMax else { return ChallengeInsertion.tooManyOutstanding }
            try await PostgresRows.execute(connection, """
                INSERT INTO challenges (id, device_id, actions, issued_at_ms, expires_at_ms)
                VALUES (\(challenge.id), \(challenge.deviceID), \(challenge.actionNames.joined(separator: ",")),
                        \(challenge.issuedAt.epochMilliseconds), \(challenge.expiresAt.epochMilliseconds))
                """)
            return .inserted
        }
    }

    public func consume(id: String, deviceID: String, now: Date) async throws -> ChallengeConsumption {
        try await database.read { connection in
            let nowMs = now.epochMilliseconds
            if let consumed = try await PostgresRows.first(connection, PostgresQuery(unsafeSQL: """
                UPDATE challenges SET used_at_ms = $1
                WHERE id = $2 AND device_id = $3 AND used_at_ms IS NULL AND expires_at_ms > $1
                RETURNING \(Self.columns)
                """, binds: PostgresRows.binds(nowMs, id, deviceID)), Self.challenge) {
                return .consumed(consumed)
            }
            guard let challenge = try await PostgresRows.first(connection, PostgresQuery(
                unsafeSQL: "SELECT \(Self.columns) FROM challenges WHERE id = $1", binds: PostgresRows.binds(id)), Self.challenge) else {
                return .unknown
            }
            guard challenge.deviceID == deviceID else { return .otherDevice }
            if challenge.usedAt != nil { return .alreadyUsed(challenge) }
            return .expired(challenge)
        }
    }

    public func deleteExpired(before cutoff: Date) async throws -> Int {
        try await database.read { connection in
            try await PostgresRows.all(connection, "DELETE FROM challenges WHERE expires_at_ms < \(cutoff.epochMilliseconds) RETURNING id") {
                try $0["id"].decode(String.self)
            }.count
        }
    }

    static let columns = "id, device_id, actions, issued_at_ms, expires_at_ms, used_at_ms"

    static func challenge(_ row: PostgresRandomAccessRow) throws -> Challenge {
        let names = try row["actions"].decode(String.self).split(separator: ",").map(String.init)
        let actions = names.compactMap(ChallengeAction.init(rawValue:))
        guard actions.count == names.count, !actions.isEmpty else {
            throw FacePayError(.internalFailure, code: "challenge_corrupt", detail: "stored challenge has unknown actions")
        }
        return Challenge(id: try row["id"].decode(String.self), deviceID: try row["device_id"].decode(String.self), actions: actions,
                         issuedAt: Date(epochMilliseconds: try row["issued_at_ms"].decode(Int64.self)),
                         expiresAt: Date(epochMilliseconds: try row["expires_at_ms"].decode(Int64.self)),
                         usedAt: try row["used_at_ms"].decode(Int64?.self).map(Date.init(epochMilliseconds:)))
    }
}
