import FacePayCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Stores

/// Posts an expiry transfer for every hold past its `expires_at`, as a `Service`.
///
/// Time comes from the injected `WallClock`, so tests move a `ManualWallClock` and call
/// `expireDueHolds()` instead of waiting. Between passes it sleeps `pollInterval` of real time.
/// Each pass commits at most `batchSizeMax` expiries per SQLite transaction, so a backlog never
/// holds the writer for long.
public struct HoldExpiryService: Service {
    public let database: AppDatabase
    public let clock: any WallClock
    public let pollInterval: Duration
    public let batchSizeMax: Int
    private let logger: Logger

    public init(database: AppDatabase, clock: any WallClock, pollInterval: Duration = .seconds(1), batchSizeMax: Int = 256,
                logger: Logger = Logger(label: "facepay.hold-expiry")) {
        precondition(batchSizeMax > 0 && pollInterval > .zero, "bounds must be positive")
        self.database = database
        self.clock = clock
        self.pollInterval = pollInterval
        self.batchSizeMax = batchSizeMax
        self.logger = logger
    }

    /// Expires every hold due at the clock's `now`; returns the payment ids expired.
    @discardableResult
    public func expireDueHolds() async throws -> [String] {
        let now = clock.now()
        var expired: [String] = []
        while true {
            let batchSizeMax = batchSizeMax
            let batch = try await database.pool.write { db in
                try LedgerStore.expireDueHolds(db, now: now, limit: batchSizeMax)
            }
            expired += batch
            if batch.count < batchSizeMax { return expired }
        }
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let expired = try await expireDueHolds()
                if !expired.isEmpty { logger.info("holds expired", metadata: ["count": "\(expired.count)"]) }
            } catch is CancellationError {
                return
            } catch {
                // A failed pass is retried on the next tick; the holds stay due meanwhile.
                logger.error("hold expiry pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
        }
    }
}
