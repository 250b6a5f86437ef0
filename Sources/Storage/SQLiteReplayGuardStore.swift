import FacePayCore
import Foundation
import GRDB
import Liveness
import Stores
import Synchronization

/// The replay guard with a durable memory: every capture's frame codes are appended as one row of
/// `replay_sightings` (in arrival order, so appends fill one page after another instead of
/// dirtying a random B-tree leaf per frame, see 0005 and 0008), and screened in memory by a
/// `ReplayCodeIndex` loaded from that table on first use (the server loads it at start-up).
///
/// - Near or not is decided in memory, atomically (an `InMemoryReplayGuardStore` behind a lock);
///   the capture id and the queued row are taken under one lock, so rows arrive in id order.
/// - With the group-commit writer (the server) the sighting is queued, not awaited: whatever the
///   capture leads to is submitted after it and answered only after its own batch committed, so a
///   capture that got an answer is remembered across a restart. Without a writer the call returns
///   once it committed. A write that fails is logged and stays remembered in memory until the
///   restart: it errs towards refusing a replay.
/// - Bounded like the in-memory index (retention, then the oldest beyond `framesMax`); every
///   `pruneEvery` calls the table's old end is deleted to the same bounds (the cap by the rows'
///   running frame count, so a row is kept while any of its frames is among the newest
///   `framesMax`).
/// - Erasure: the decision that attributes a capture to a customer (`attribute`) names them on
///   its row; `deleteSightings` removes their rows in the erasure's transaction and `forget`
///   drops them from memory after it committed.
public final class SQLiteReplayGuardStore: DurableReplayGuardStore {
    let database: AppDatabase
    let writer: GroupCommitWriter?
    let retentionSeconds: Double
    let framesMax: Int
    public let coder: ReplayCoder
    private let memory: InMemoryReplayGuardStore
    private let loaded = Mutex(false)
    /// Calls so far (for pruning), held while a capture is screened and its row queued.
    private let calls = Mutex(0)
    public static let pruneEvery = 256

    public init(database: AppDatabase, writer: GroupCommitWriter? = nil, settings: LivenessSettings, coder: ReplayCoder) {
        self.database = database
        self.writer = writer
        retentionSeconds = settings.replayRetentionSeconds
        framesMax = settings.replayFramesMax
        self.coder = coder
        memory = InMemoryReplayGuardStore(settings: settings, coder: coder)
    }

    /// Reads the remembered sightings into memory, once (later calls return at once). Sightings
    /// older than the retention window are skipped; they are deleted by the next prune.
    public func loadIfNeeded(now: Date = Date()) throws {
        try loaded.withLock { isLoaded in
            guard !isLoaded else { return }
            let horizonMs = now.epochMilliseconds - Int64(retentionSeconds * 1000)
            try database.pool.read { db in
                let newest = try RawStatement(db, "SELECT max(capture_id) FROM replay_sightings")
                if let id = try LedgerRows.first(newest, { $0.int64(0) }) { memory.continueCaptureIDs(after: id) }
                var statement = try RawStatement(db, """
                    SELECT capture_id, codes, seen_at_ms FROM replay_sightings WHERE seen_at_ms > ? ORDER BY capture_id
                    """)
                statement.bind(horizonMs)
                defer { statement.reset() }
                while try statement.step() {
                    let bytes = statement.data(1)
                    guard !bytes.isEmpty, bytes.count % ReplayCode.byteCount == 0 else {
                        throw FacePayError(.internalFailure, code: "replay_guard_corrupt", detail: "a replay sighting has bad codes")
                    }
                    let codes = stride(from: bytes.startIndex, to: bytes.endIndex, by: ReplayCode.byteCount).map {
                        ReplayCode(bytes: bytes[$0..<($0 + ReplayCode.byteCount)])!
                    }
                    memory.restore(codes, captureID: statement.int64(0), atMs: statement.int64(2))
                }
            }
            isLoaded = true
        }
    }

    public func screen(_ codes: [ReplayCode], challengeID: String, now: Date) async throws -> ReplayScreening {
        try loadIfNeeded(now: now)
        let nowMs = now.epochMilliseconds
        let horizonMs = nowMs - Int64(retentionSeconds * 1000)
        let framesMax = framesMax
        let bytes = codes.reduce(into: Data(capacity: codes.count * ReplayCode.byteCount)) { $0.append(contentsOf: $1.bytes) }
        let (screening, work) = try calls.withLock { count -> (ReplayScreening, (@Sendable (Database) throws -> Void)?) in
            count += 1
            let prune = count % Self.pruneEvery == 0
            let screening = memory.screenSynchronously(codes, challengeID: challengeID, nowMs: nowMs)
            guard !codes.isEmpty else { return (screening, nil) }
            let captureID = screening.captureID
            let work: @Sendable (Database) throws -> Void = { db in
                // One row per capture; the running total counts frames for the size cap.
                var insert = try RawStatement(db, """
                    INSERT INTO replay_sightings (capture_id, codes, seen_at_ms, running_total)
                    VALUES (?, ?, ?, ? + coalesce((SELECT running_total FROM replay_sightings ORDER BY capture_id DESC LIMIT 1), 0))
                    """)
                insert.bind(captureID)
                insert.bind(bytes)
                insert.bind(nowMs)
                insert.bind(Int64(codes.count))
                try insert.execute()
                if prune { try Self.prune(db, horizonMs: horizonMs, framesMax: framesMax) }
            }
            // Queued, not awaited: the payment, verification or decline this capture leads to is
            // submitted after it and answered only once its own batch committed, which is this
            // one or a later one — so an answered capture's sighting is durable. Under the lock,
            // so rows are queued in capture-id order.
            if let writer {
                try writer.enqueueWithoutAnswer("replay sighting", work)
                return (screening, nil)
            }
            return (screening, work)
        }
        if let work { try await database.pool.write(work) }
        return screening
    }

    /// Names the customer a capture was attributed to (in the decision's transaction), so that
    /// erasing them deletes its codes. A capture pruned already is nothing to name.
    public static func attribute(_ db: Database, captureID: Int64, customerID: String) throws {
        var update = try RawStatement(db, "UPDATE replay_sightings SET customer_id = ? WHERE capture_id = ?")
        update.bind(customerID)
        update.bind(captureID)
        try update.execute()
    }

    /// Deletes every sighting attributed to the customer (in the erasure's transaction) and
    /// returns their capture ids, for `forget` once it committed.
    public static func deleteSightings(_ db: Database, customerID: String) throws -> Set<Int64> {
        let ids = try Int64.fetchSet(db, sql: "SELECT capture_id FROM replay_sightings WHERE customer_id = ?", arguments: [customerID])
        try db.execute(sql: "DELETE FROM replay_sightings WHERE customer_id = ?", arguments: [customerID])
        return ids
    }

    /// Stops matching these captures' frames (after their rows were deleted).
    public func forget(captureIDs: Set<Int64>) {
        memory.forget(captureIDs: captureIDs)
    }

    /// Deletes rows from the old end, up to the first row to keep: the first seen after the
    /// horizon (capture-id order is arrival order), or, when later, the first whose frames reach
    /// into the newest `framesMax` (by running total). Each lookup scans only the rows it lets go,
    /// plus one.
    static func prune(_ db: Database, horizonMs: Int64, framesMax: Int) throws {
        func firstID(_ condition: String, _ value: Int64) throws -> Int64? {
            var statement = try RawStatement(db, "SELECT capture_id FROM replay_sightings WHERE \(condition) ORDER BY capture_id LIMIT 1")
            statement.bind(value)
            return try LedgerRows.first(statement) { $0.int64(0) }
        }
        // Nothing inside the window: everything goes.
        var keepFrom = try firstID("seen_at_ms > ?", horizonMs) ?? Int64.max
        let newest = try RawStatement(db, "SELECT running_total FROM replay_sightings ORDER BY capture_id DESC LIMIT 1")
        if let total = try LedgerRows.first(newest, { $0.int64(0) }), total > Int64(framesMax),
           let withinCap = try firstID("running_total > ?", total - Int64(framesMax)) {
            keepFrom = max(keepFrom, withinCap)
        }
        var delete = try RawStatement(db, "DELETE FROM replay_sightings WHERE capture_id < ?")
        delete.bind(keepFrom)
        try delete.execute()
    }
}
