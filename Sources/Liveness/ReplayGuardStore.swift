import Foundation

/// What the replay guard found for one capture: how many of its frames lie near a frame received
/// in an earlier request, and the id under which the capture itself is now remembered (the
/// decision it leads to attributes it to a customer, so erasure can forget it).
public struct ReplayScreening: Sendable, Equatable {
    public let captureID: Int64
    public let nearFrames: Int

    public init(captureID: Int64, nearFrames: Int) {
        self.captureID = captureID
        self.nearFrames = nearFrames
    }
}

/// Remembers the code of every frame the server has received, accepted or not, so a capture
/// cannot be submitted again under another challenge — exactly or nudged — even after a restart.
/// Bounded: see `ReplayCodeIndex`.
///
/// Implementations: `InMemoryReplayGuardStore` (tests, the in-process simulator) and Storage's
/// `SQLiteReplayGuardStore` (the same index, loaded from and appended to an append-only SQLite log
/// of sightings; docs/LIVENESS.md says why not a table keyed by code).
public protocol ReplayGuardStore: Sendable {
    /// Turns frames into codes (its projection is secret, see `ReplayCoder`).
    var coder: ReplayCoder { get }

    /// Screens the capture's frame codes against every earlier capture that cited another
    /// challenge and remembers them, as received at `now`. Atomic: of two concurrent calls
    /// carrying near frames (and citing different challenges), the later one counts them.
    func screen(_ codes: [ReplayCode], challengeID: String, now: Date) async throws -> ReplayScreening
}

/// A replay memory kept in a database: loaded before the first capture, and told which captures
/// an erasure deleted so its in-memory codes forget them too.
public protocol DurableReplayGuardStore: ReplayGuardStore {
    func loadIfNeeded(now: Date) throws
    func forget(captureIDs: Set<Int64>)
}
