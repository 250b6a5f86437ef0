import FacePayCore
import Foundation
import Liveness
import PostgresNIO
import Stores
import Synchronization

/// The replay memory shared by every node: each capture's codes are a row, and a node screens a
/// capture under one advisory lock, after reading every row other nodes added since its last
/// screen — so a replay sent to the next node is caught as on the first, and two nodes screening
/// the same replay at once see each other (one waits for the other's row). The node's index is
/// the in-memory one (`InMemoryReplayGuardStore`), kept in step with the table.
///
/// Erasure deletes a customer's rows; another node drops those codes from its index when its
/// gallery follower applies the erasure's change, which names the deleted capture ids (until
/// then it may still match the erased customer's old frames, which declines a replay of them but
/// never accepts one).
public final class PostgresReplayGuardStore: DurableReplayGuardStore {
    let database: PostgresDatabase
    let retentionSeconds: Double
    let framesMax: Int
    public let coder: ReplayCoder
    private let memory: InMemoryReplayGuardStore
    /// The largest capture id this node's index has seen.
    private let cursor = Mutex<Int64>(0)
    private let calls = Mutex(0)
    public static let pruneEvery = 256
    /// "REPLAY\0\0" as a number: the advisory lock every screen runs under.
    static let lockKey: Int64 = 0x5245_504C_4159_0000

    public init(database: PostgresDatabase, settings: LivenessSettings, coder: ReplayCoder) {
        self.database = database
        retentionSeconds = settings.replayRetentionSeconds
        framesMax = settings.replayFramesMax
        self.coder = coder
        memory = InMemoryReplayGuardStore(settings: settings, coder: coder)
    }

    /// Nothing to load up front: every screen catches up first.
    public func loadIfNeeded(now: Date) throws {}

    public func screen(_ codes: [ReplayCode], challengeID: String, now: Date) async throws -> ReplayScreening {
        let nowMs = now.epochMilliseconds
        let horizonMs = nowMs - Int64(retentionSeconds * 1000)
        let prune = calls.withLock { count in
            count += 1
            return count % Self.pruneEvery == 0
        }
        return try await database.transaction { connection in
            try await PostgresRows.execute(connection, "SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            let after = cursor.withLock { $0 }
            let rows = try await PostgresRows.all(connection, """
                SELECT capture_id, codes, seen_at_ms FROM replay_sightings
                WHERE capture_id > \(after) AND seen_at_ms > \(horizonMs) ORDER BY capture_id
                """) { row in
                (try row["capture_id"].decode(Int64.self), Data(try row["codes"].decode(ByteBuffer.self).readableBytesView),
                 try row["seen_at_ms"].decode(Int64.self))
            }
            for (captureID, bytes, atMs) in rows {
                guard !bytes.isEmpty, bytes.count % ReplayCode.byteCount == 0 else {
                    throw FacePayError(.internalFailure, code: "replay_guard_corrupt", detail: "a replay sighting has bad codes")
                }
                let frames = stride(from: bytes.startIndex, to: bytes.endIndex, by: ReplayCode.byteCount).map {
                    ReplayCode(bytes: bytes[$0..<($0 + ReplayCode.byteCount)])!
                }
                memory.restore(frames, captureID: captureID, atMs: atMs)
            }
            let newest = try await PostgresRows.first(connection, "SELECT coalesce(max(capture_id), 0)::BIGINT AS newest FROM replay_sightings") {
                try $0["newest"].decode(Int64.self)
            } ?? 0
            memory.continueCaptureIDs(after: newest)
            let screening = memory.screenSynchronously(codes, challengeID: challengeID, nowMs: nowMs)
            cursor.withLock { $0 = max(newest, screening.captureID) }
            guard !codes.isEmpty else { return screening }
            let bytes = codes.reduce(into: Data(capacity: codes.count * ReplayCode.byteCount)) { $0.append(contentsOf: $1.bytes) }
            try await PostgresRows.execute(connection, """
                INSERT INTO replay_sightings (capture_id, codes, seen_at_ms, running_total)
                VALUES (\(screening.captureID), \(bytes.bytea), \(nowMs),
                        \(Int64(codes.count)) + coalesce((SELECT running_total FROM replay_sightings ORDER BY capture_id DESC LIMIT 1), 0))
                """)
            if prune { try await Self.prune(connection, horizonMs: horizonMs, framesMax: Int64(framesMax)) }
            return screening
        }
    }

    static func attribute(_ connection: PostgresConnection, captureID: Int64, customerID: String) async throws {
        try await PostgresRows.execute(connection, "UPDATE replay_sightings SET customer_id = \(customerID) WHERE capture_id = \(captureID)")
    }

    public func forget(captureIDs: Set<Int64>) {
        memory.forget(captureIDs: captureIDs)
    }

    /// Deletes from the old end: rows past the retention window and rows beyond the size cap.
    static func prune(_ connection: PostgresConnection, horizonMs: Int64, framesMax: Int64) async throws {
        try await PostgresRows.execute(connection, """
            DELETE FROM replay_sightings WHERE capture_id < greatest(
                coalesce((SELECT min(capture_id) FROM replay_sightings WHERE seen_at_ms > \(horizonMs)), 9223372036854775807),
                coalesce((SELECT min(capture_id) FROM replay_sightings
                          WHERE running_total > (SELECT max(running_total) FROM replay_sightings) - \(framesMax)), 0))
            """)
    }
}
