import Foundation

/// Remembers the fingerprint of every frame the server has received, accepted or not, so a capture
/// cannot be submitted again under another challenge, even after a restart. Bounded: an entry is
/// forgotten `retentionSeconds` after it was last received, and the oldest go first when
/// `fingerprintsMax` is reached.
///
/// The lead's SQLite implementation (one table, `digest` the 16 bytes of `FrameFingerprint.bytes`):
///
///     CREATE TABLE frame_fingerprints (digest BLOB PRIMARY KEY CHECK (length(digest) = 16),
///                                      last_seen_at INTEGER NOT NULL) WITHOUT ROWID;
///     CREATE INDEX frame_fingerprints_last_seen ON frame_fingerprints (last_seen_at);
///     -- in one write transaction, per fingerprint:
///     SELECT 1 FROM frame_fingerprints WHERE digest = ? AND last_seen_at > :now - :retention;  -- seen?
///     INSERT INTO frame_fingerprints VALUES (?, :now)
///       ON CONFLICT (digest) DO UPDATE SET last_seen_at = excluded.last_seen_at;
///     -- periodically: DELETE … WHERE last_seen_at <= :now - :retention, and the oldest beyond the cap.
public protocol ReplayGuardStore: Sendable {
    /// Records every fingerprint as received at `now` and returns those that had been received
    /// before this call (and not yet forgotten). Atomic: of two concurrent calls carrying the same
    /// fingerprint, the later one sees it. `fingerprints` holds no duplicates.
    func recordReturningSeen(_ fingerprints: [FrameFingerprint], now: Date) async throws -> Set<FrameFingerprint>
}
