import Foundation
import Synchronization

/// A `ReplayGuardStore` in memory (tests and the in-process simulator). Keep one instance and hand
/// it to a new `LivenessPolicy` to model a restart over the same persisted store.
///
/// A dictionary gives the last time each fingerprint was received; a FIFO of (fingerprint, time)
/// in arrival order lets expiry and the size cap forget the oldest first. A FIFO entry whose time no
/// longer matches the dictionary is stale (the fingerprint was received again) and is skipped.
public final class InMemoryReplayGuardStore: ReplayGuardStore {
    private struct State {
        var lastSeen: [FrameFingerprint: Date] = [:]
        var arrivals: [(fingerprint: FrameFingerprint, at: Date)] = []
        var arrivalsHead = 0
    }

    private let state = Mutex(State())
    public let retentionSeconds: Double
    public let fingerprintsMax: Int

    public init(retentionSeconds: Double, fingerprintsMax: Int) {
        precondition(retentionSeconds > 0 && fingerprintsMax > 0)
        self.retentionSeconds = retentionSeconds
        self.fingerprintsMax = fingerprintsMax
    }

    public convenience init(settings: LivenessSettings) {
        self.init(retentionSeconds: settings.replayRetentionSeconds, fingerprintsMax: settings.replayFingerprintsMax)
    }

    public func recordReturningSeen(_ fingerprints: [FrameFingerprint], now: Date) async throws -> Set<FrameFingerprint> {
        record(fingerprints, now: now)
    }

    /// `recordReturningSeen`, synchronously (the SQLite store keeps its index in one of these).
    public func record(_ fingerprints: [FrameFingerprint], now: Date) -> Set<FrameFingerprint> {
        let cutoff = now.addingTimeInterval(-retentionSeconds)
        return state.withLock { state in
            Self.forget(&state, olderThanOrAt: cutoff, keepingAtMost: Int.max)
            var seen = Set<FrameFingerprint>()
            for fingerprint in fingerprints {
                if let last = state.lastSeen[fingerprint], last > cutoff { seen.insert(fingerprint) }
                state.lastSeen[fingerprint] = now
                state.arrivals.append((fingerprint, now))
            }
            Self.forget(&state, olderThanOrAt: cutoff, keepingAtMost: fingerprintsMax)
            return seen
        }
    }

    /// Restores sightings read back from durable storage, oldest first (start-up): remembers each
    /// fingerprint as last received at the latest of its times, without reporting anything.
    public func restore(_ sightings: some Sequence<(fingerprint: FrameFingerprint, at: Date)>) {
        state.withLock { state in
            for sighting in sightings {
                if let last = state.lastSeen[sighting.fingerprint], last >= sighting.at { continue }
                state.lastSeen[sighting.fingerprint] = sighting.at
                state.arrivals.append(sighting)
            }
            Self.forget(&state, olderThanOrAt: .distantPast, keepingAtMost: fingerprintsMax)
        }
    }

    /// Fingerprints currently remembered (tests).
    public var count: Int { state.withLock { $0.lastSeen.count } }

    private static func forget(_ state: inout State, olderThanOrAt cutoff: Date, keepingAtMost limit: Int) {
        while state.arrivalsHead < state.arrivals.count {
            let oldest = state.arrivals[state.arrivalsHead]
            let isCurrent = state.lastSeen[oldest.fingerprint] == oldest.at
            if isCurrent && oldest.at > cutoff && state.lastSeen.count <= limit { break }
            if isCurrent { state.lastSeen[oldest.fingerprint] = nil }
            state.arrivalsHead += 1
        }
        // Keep the FIFO proportional to what is remembered: drop its consumed prefix when that
        // dominates, and rebuild it from the dictionary when stale entries (fingerprints received
        // again and again, as in a replay flood) outnumber live ones.
        let pending = state.arrivals.count - state.arrivalsHead
        if pending > 2 * max(state.lastSeen.count, 1024) {
            state.arrivals = state.lastSeen.map { (fingerprint: $0.key, at: $0.value) }.sorted { $0.at < $1.at }
            state.arrivalsHead = 0
        } else if state.arrivalsHead > 1024 && state.arrivalsHead * 2 > state.arrivals.count {
            state.arrivals.removeFirst(state.arrivalsHead)
            state.arrivalsHead = 0
        }
    }
}
