import FacePayCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Copies committed WAL pages into the database file from its own connection and thread, so the
/// group-commit writer does not have to.
///
/// Why: with only SQLite's automatic checkpoint, the commit that crosses `wal_autocheckpoint`
/// copies thousands of pages and fsyncs the database file before it returns, and every payment
/// queued behind that batch waits for it (the ledger benchmark's writer spent about 5 % of its
/// time there; the API's slowest payments were those batches). Here a PASSIVE checkpoint runs
/// every `interval` on a separate connection: it never blocks the writer or readers, and copies
/// only frames no reader still needs. The writer keeps its automatic checkpoint as the backstop
/// that lets the WAL wrap around: by the time it fires, almost everything is already copied, so
/// it only has the last frames to do.
///
/// Durability is SQLite's: the checkpoint fsyncs the WAL before copying and the database file
/// after (`synchronous = FULL` on this connection too).
public struct CheckpointService: Service {
    public let interval: Duration
    private let queue: DatabaseQueue
    private let logger: Logger

    public init(database: AppDatabase, interval: Duration = .milliseconds(100),
                logger: Logger = Logger(label: "facepay.checkpoint")) throws {
        precondition(interval > .zero, "interval must be positive")
        var configuration = Configuration()
        configuration.label = "facepay.checkpoint"
        configuration.busyMode = .timeout(1)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            queue = try DatabaseQueue(path: database.path, configuration: configuration)
        } catch {
            throw FacePayError(.unavailable, code: "database_unavailable",
                               detail: "cannot open the checkpoint connection to \(database.path): \(error)")
        }
        self.interval = interval
        self.logger = logger
    }

    /// One PASSIVE checkpoint: returns the WAL's frame count and how many of them are now in the
    /// database file. Runs on the connection's own dispatch queue, not on a Swift concurrency
    /// thread (a checkpoint can take milliseconds of I/O).
    @discardableResult
    public func checkpoint() async throws -> (walFrames: Int, checkpointedFrames: Int) {
        let result = try await queue.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        return (result.walFrameCount, result.checkpointedFrameCount)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await checkpoint()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                // Another checkpoint (the writer's automatic one) is running: try again next tick.
            } catch {
                logger.error("checkpoint failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        try? queue.close()
    }
}
