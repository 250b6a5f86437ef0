import FacePayCore
import Foundation
import GRDB
import Liveness
import Synchronization

/// The replay guard with a durable memory: every capture's fingerprints are appended as one row
/// of `frame_sightings` (in arrival order, so appends fill one page after another instead of
/// dirtying a random B-tree leaf per frame, see 0005), and the set of remembered fingerprints is
/// held in memory, loaded from that table on first use (the server loads it at start-up).
///
/// - Seen or not is decided in memory, atomically (an `InMemoryReplayGuardStore` behind a lock):
///   of two concurrent calls carrying one fingerprint, the later sees it.
/// - With the group-commit writer (the server) the sightings are queued, not awaited: whatever
///   the capture leads to is submitted after them and answered only after its own batch
///   committed, so a capture that got an answer is remembered across a restart. Without a
///   writer the call returns once they committed. A write that fails is logged and stays
///   remembered in memory until the restart: it errs towards refusing a replay.
/// - Bounded like the in-memory store (retention, then the oldest beyond `fingerprintsMax`);
///   every `pruneEvery` calls the table's old end is deleted to the same bounds (the cap by the
///   rows' running fingerprint count, so a row is kept while any of its fingerprints is among
///   the newest `fingerprintsMax`). Memory: about 60 bytes per remembered fingerprint
///   (dictionary entry plus arrival queue).
public final class SQLiteReplayGuardStore: ReplayGuardStore {
    let database: AppDatabase
    let writer: GroupCommitWriter?
    let retentionSeconds: Double
    let fingerprintsMax: Int
    private let memory: InMemoryReplayGuardStore
    private let loaded = Mutex(false)
    private let calls = Mutex(0)
    public static let pruneEvery = 256

    public init(database: AppDatabase, writer: GroupCommitWriter? = nil, retentionSeconds: Double = 30 * 86_400,
                fingerprintsMax: Int = 10_000_000) {
        precondition(retentionSeconds > 0 && fingerprintsMax > 0)
        self.database = database
        self.writer = writer
        self.retentionSeconds = retentionSeconds
        self.fingerprintsMax = fingerprintsMax
        memory = InMemoryReplayGuardStore(retentionSeconds: retentionSeconds, fingerprintsMax: fingerprintsMax)
    }

    /// Reads the remembered sightings into memory, once (later calls return at once). Sightings
    /// older than the retention window are skipped; they are deleted by the next prune.
    public func loadIfNeeded(now: Date = Date()) throws {
        try loaded.withLock { isLoaded in
            guard !isLoaded else { return }
            let horizonMs = now.epochMilliseconds - Int64(retentionSeconds * 1000)
            try database.pool.read { db in
                var statement = try RawStatement(db, "SELECT digests, seen_at_ms FROM frame_sightings WHERE seen_at_ms > ? ORDER BY seq")
                statement.bind(horizonMs)
                defer { statement.reset() }
                var batch: [(fingerprint: FrameFingerprint, at: Date)] = []
                batch.reserveCapacity(4096)
                while try statement.step() {
                    let digests = statement.data(0)
                    let at = Date(epochMilliseconds: statement.int64(1))
                    guard !digests.isEmpty, digests.count % 16 == 0 else {
                        throw FacePayError(.internalFailure, code: "replay_guard_corrupt", detail: "a frame sighting has bad digests")
                    }
                    for start in stride(from: digests.startIndex, to: digests.endIndex, by: 16) {
                        batch.append((FrameFingerprint(bytes: digests[start..<(start + 16)])!, at))
                    }
                    if batch.count >= 4096 {
                        memory.restore(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                memory.restore(batch)
            }
            isLoaded = true
        }
    }

    public func recordReturningSeen(_ fingerprints: [FrameFingerprint], now: Date) async throws -> Set<FrameFingerprint> {
        try loadIfNeeded(now: now)
        let seen = memory.record(fingerprints, now: now)
        let nowMs = now.epochMilliseconds
        let horizonMs = nowMs - Int64(retentionSeconds * 1000)
        let prune = calls.withLock { count -> Bool in
            count += 1
            return count % Self.pruneEvery == 0
        }
        let fingerprintsMax = fingerprintsMax
        guard !fingerprints.isEmpty else { return seen }
        let digests = fingerprints.reduce(into: Data(capacity: fingerprints.count * 16)) { $0.append(contentsOf: $1.bytes) }
        let work: @Sendable (Database) throws -> Void = { db in
            // One row per capture; the running total counts fingerprints for the size cap.
            var insert = try RawStatement(db, """
                INSERT INTO frame_sightings (digests, seen_at_ms, running_total)
                VALUES (?, ?, ? + coalesce((SELECT running_total FROM frame_sightings ORDER BY seq DESC LIMIT 1), 0))
                """)
            insert.bind(digests)
            insert.bind(nowMs)
            insert.bind(Int64(fingerprints.count))
            try insert.execute()
            if prune { try Self.prune(db, horizonMs: horizonMs, fingerprintsMax: fingerprintsMax) }
        }
        if let writer {
            // Queued, not awaited: the payment, verification or decline this capture leads to is
            // submitted after it and answered only once its own batch committed, which is this
            // one or a later one — so an answered capture's sightings are durable.
            try writer.enqueueWithoutAnswer("frame sightings", work)
        } else {
            try await database.pool.write(work)
        }
        return seen
    }

    /// Deletes rows from the old end, up to the first row to keep: the first seen after the
    /// horizon (seq order is arrival order), or, when later, the first whose fingerprints reach
    /// into the newest `fingerprintsMax` (by running total). Each lookup scans only the rows it
    /// lets go, plus one.
    static func prune(_ db: Database, horizonMs: Int64, fingerprintsMax: Int) throws {
        func firstSeq(_ condition: String, _ value: Int64) throws -> Int64? {
            var statement = try RawStatement(db, "SELECT seq FROM frame_sightings WHERE \(condition) ORDER BY seq LIMIT 1")
            statement.bind(value)
            return try LedgerRows.first(statement) { $0.int64(0) }
        }
        // Nothing inside the window: everything goes.
        var keepFrom = try firstSeq("seen_at_ms > ?", horizonMs) ?? Int64.max
        let newest = try RawStatement(db, "SELECT running_total FROM frame_sightings ORDER BY seq DESC LIMIT 1")
        if let total = try LedgerRows.first(newest, { $0.int64(0) }), total > Int64(fingerprintsMax),
           let withinCap = try firstSeq("running_total > ?", total - Int64(fingerprintsMax)) {
            keepFrom = max(keepFrom, withinCap)
        }
        var delete = try RawStatement(db, "DELETE FROM frame_sightings WHERE seq < ?")
        delete.bind(keepFrom)
        try delete.execute()
    }
}
