import FacePayCore
import Foundation
import Ledger
import Logging
import PostgresNIO
import ServiceLifecycle
import Stores

/// The background passes of a node on PostgreSQL, in one loop: holds due are expired (each in its
/// own transaction, under the account locks, so two nodes running the pass at once expire each
/// hold once — the second finds it resolved), and expired challenges and idempotency records are
/// purged in bounded batches. Every node runs it; the passes are safe to run concurrently.
public struct PostgresMaintenanceService: Service {
    let stores: PostgresStores
    let clock: any WallClock
    let retention: RetentionSettings
    let pollInterval: Duration
    let logger: Logger

    public init(stores: PostgresStores, clock: any WallClock, retention: RetentionSettings, pollInterval: Duration = .seconds(1),
                logger: Logger = Logger(label: "facepay.postgres-maintenance")) {
        self.stores = stores
        self.clock = clock
        self.retention = retention
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Expires every hold due now, `batchMax` payments at a time; returns their ids.
    @discardableResult
    public func expireDueHolds(batchMax: Int = 256) async throws -> [String] {
        let now = Timestamp.truncated(clock.now())
        var expired: [String] = []
        while true {
            let due = try await stores.database.read { connection in
                try await PostgresRows.all(connection, """
                    SELECT id FROM payments WHERE status = 'authorized' AND expires_at <= \(Timestamp.text(now))
                    ORDER BY expires_at, id LIMIT \(Int64(batchMax))
                    """) { try $0["id"].decode(String.self) }
            }
            for paymentID in due {
                let outcome = try await stores.chainWrite { transaction in
                    try await PostgresStores.resolveHold(transaction, paymentID: paymentID, kind: .expiry, amountMinor: nil, deviceID: nil, now: now)
                }
                if case .accepted = outcome { expired.append(paymentID) }
            }
            if due.count < batchMax { return expired }
        }
    }

    /// Deletes challenges and idempotency records past their retention; returns how many.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        let now = clock.now()
        let limit = Int64(retention.purgeBatchRowsMax)
        let challengeCutoff = now.addingTimeInterval(-retention.challengeRetentionSeconds).epochMilliseconds
        let idempotencyCutoff = Timestamp.text(now.addingTimeInterval(-retention.idempotencyRetentionSeconds))
        var total = 0
        for query: PostgresQuery in [
            "DELETE FROM challenges WHERE id IN (SELECT id FROM challenges WHERE expires_at_ms < \(challengeCutoff) ORDER BY expires_at_ms LIMIT \(limit)) RETURNING 1 AS one",
            """
            DELETE FROM idempotency_records WHERE (device_id, key) IN (
                SELECT device_id, key FROM idempotency_records WHERE created_at < \(idempotencyCutoff) ORDER BY created_at LIMIT \(limit))
            RETURNING 1 AS one
            """,
        ] {
            while true {
                let deleted = try await stores.database.read { connection in
                    try await PostgresRows.all(connection, query) { _ in () }.count
                }
                total += deleted
                if Int64(deleted) < limit { break }
            }
        }
        return total
    }

    public func run() async throws {
        var lastPurge = ContinuousClock.now - .seconds(retention.purgeIntervalSeconds)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let expired = try await expireDueHolds()
                if !expired.isEmpty { logger.info("holds expired", metadata: ["count": "\(expired.count)"]) }
                if ContinuousClock.now - lastPurge >= .seconds(retention.purgeIntervalSeconds) {
                    lastPurge = ContinuousClock.now
                    let purged = try await purgeExpired()
                    if purged > 0 { logger.info("expired rows purged", metadata: ["rows": "\(purged)"]) }
                }
            } catch is CancellationError {
                return
            } catch {
                // A failed pass is retried on the next tick; the rows stay due meanwhile.
                logger.error("maintenance pass failed", metadata: ["error": "\(PostgresDatabase.translated(error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
        }
    }
}
