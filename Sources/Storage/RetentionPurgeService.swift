import FacePayCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Stores

/// Deletes rows whose purpose has passed — expired challenges, idempotency records older than
/// their retention — as a `Service`, so neither table grows without bound under steady traffic.
///
/// Idempotency records are the stored answers of payments, but not the payments: expiring one
/// removes only the retry guarantee of its key. Transfers, payments and audit events are never
/// touched (they cannot be: triggers forbid it).
///
/// Time comes from the injected `WallClock` (tests move a `ManualWallClock` and call
/// `purgeDue()`); between passes it sleeps `purgeIntervalSeconds` of real time. Each batch deletes
/// at most `purgeBatchRowsMax` rows in one short write — through the group-commit writer when one
/// is given (the server), so purges share the payments' transactions instead of queueing behind
/// them for the writer connection.
public struct RetentionPurgeService: Service {
    public let database: AppDatabase
    public let writer: GroupCommitWriter?
    public let clock: any WallClock
    public let settings: RetentionSettings
    private let logger: Logger

    public init(database: AppDatabase, writer: GroupCommitWriter? = nil, clock: any WallClock, settings: RetentionSettings = RetentionSettings(),
                logger: Logger = Logger(label: "facepay.retention-purge")) {
        precondition(settings.purgeBatchRowsMax > 0 && settings.purgeIntervalSeconds > 0
                     && settings.idempotencyRetentionSeconds > 0 && settings.challengeRetentionSeconds >= 0,
                     "retention settings are checked where they are parsed")
        self.database = database
        self.writer = writer
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// Rows one pass deleted.
    public struct Purged: Sendable, Equatable {
        public var challenges = 0
        public var idempotencyRecords = 0
        /// Write transactions used (each at most `purgeBatchRowsMax` rows).
        public var batches = 0
    }

    /// Deletes everything due at the clock's `now`, batch by batch.
    @discardableResult
    public func purgeDue() async throws -> Purged {
        let now = clock.now()
        var purged = Purged()
        var batches = 0
        let challengeCutoffMs = now.addingTimeInterval(-settings.challengeRetentionSeconds).epochMilliseconds
        purged.challenges = try await deleteInBatches(&batches) { db, limit in
            // challenges_by_expiry: the oldest first, without a scan.
            try db.execute(sql: """
                DELETE FROM challenges WHERE rowid IN (
                    SELECT rowid FROM challenges WHERE expires_at_ms < ? ORDER BY expires_at_ms LIMIT ?)
                """, arguments: [challengeCutoffMs, limit])
        }
        let idempotencyCutoff = Timestamp.text(now.addingTimeInterval(-settings.idempotencyRetentionSeconds))
        purged.idempotencyRecords = try await deleteInBatches(&batches) { db, limit in
            // Fixed-width RFC 3339 text sorts as time; idempotency_records_by_created_at (0006).
            try db.execute(sql: """
                DELETE FROM idempotency_records WHERE (device_id, key) IN (
                    SELECT device_id, key FROM idempotency_records WHERE created_at < ? ORDER BY created_at LIMIT ?)
                """, arguments: [idempotencyCutoff, limit])
        }
        purged.batches = batches
        return purged
    }

    /// Runs `delete` (which deletes at most `limit` rows) until a batch comes back short.
    private func deleteInBatches(_ batches: inout Int, _ delete: @escaping @Sendable (Database, Int) throws -> Void) async throws -> Int {
        let limit = settings.purgeBatchRowsMax
        let work: @Sendable (Database) throws -> Int = { db in
            try delete(db, limit)
            return db.changesCount
        }
        var total = 0
        while true {
            let deleted = if let writer { try await writer.submit(work) } else { try await database.pool.write(work) }
            batches += 1
            total += deleted
            if deleted < limit { return total }
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let purged = try await purgeDue()
                if purged.challenges + purged.idempotencyRecords > 0 {
                    logger.info("expired rows purged", metadata: ["challenges": "\(purged.challenges)",
                                                                  "idempotency_records": "\(purged.idempotencyRecords)"])
                }
            } catch is CancellationError {
                return
            } catch {
                // A failed pass is retried on the next tick; the rows stay meanwhile, nothing is lost.
                logger.error("retention purge pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(settings.purgeIntervalSeconds)) }
        }
    }
}
