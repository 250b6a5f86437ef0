import Foundation

/// Remembers the fingerprint of every frame the server has received, accepted or not, so a capture
/// cannot be submitted again under another challenge, even after a restart. Bounded: an entry is
/// forgotten `retentionSeconds` after it was last received, and the oldest go first when
/// `fingerprintsMax` is reached.
///
/// Implementations: `InMemoryReplayGuardStore` (tests, the in-process simulator) and Storage's
/// `SQLiteReplayGuardStore` (the same in-memory set, loaded from and appended to an append-only
/// SQLite log of sightings; docs/LIVENESS.md says why not a table keyed by digest).
public protocol ReplayGuardStore: Sendable {
    /// Records every fingerprint as received at `now` and returns those that had been received
    /// before this call (and not yet forgotten). Atomic: of two concurrent calls carrying the same
    /// fingerprint, the later one sees it. `fingerprints` holds no duplicates.
    func recordReturningSeen(_ fingerprints: [FrameFingerprint], now: Date) async throws -> Set<FrameFingerprint>
}
