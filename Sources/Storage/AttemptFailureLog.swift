import Foundation
import GRDB
import Stores

/// The durable side of the lockouts and attempt budgets: an append-only log of failures, replayed
/// at start-up (the trackers themselves are in memory).
public enum AttemptFailureLog {
    /// Appends `failures`, all at `at`, inside the caller's transaction (the one that records the
    /// decision they belong to).
    public static func append(_ db: Database, _ failures: [AttemptFailure], at: Date) throws {
        guard !failures.isEmpty else { return }
        for failure in failures {
            var insert = try RawStatement(db, "INSERT INTO attempt_failures (budget, subject, at_ms) VALUES (?, ?, ?)")
            insert.bind(failure.budget)
            insert.bind(failure.subject)
            insert.bind(at.epochMilliseconds)
            try insert.execute()
        }
    }

    /// Deletes the failures before `horizon` (they can no longer count or lock).
    public static func prune(_ db: Database, before horizon: Date) throws {
        try db.execute(sql: "DELETE FROM attempt_failures WHERE at_ms < ?", arguments: [horizon.epochMilliseconds])
    }
}

extension AppDatabase: AttemptFailureStore {
    /// The failures since `horizon`, oldest first, for replaying into the trackers.
    public func attemptFailures(since horizon: Date) throws -> [(failure: AttemptFailure, at: Date)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT budget, subject, at_ms FROM attempt_failures WHERE at_ms >= ? ORDER BY seq",
                             arguments: [horizon.epochMilliseconds]).map { row in
                (AttemptFailure(budget: row["budget"], subject: row["subject"]), Date(epochMilliseconds: row["at_ms"] as Int64))
            }
        }
    }
}
