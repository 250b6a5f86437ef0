import FacePayCore
import Foundation
import Synchronization

/// A `ReplayGuardStore` in memory (tests and the in-process simulator; Storage's SQLite store keeps
/// one as its index). Keep one instance and hand it to a new `LivenessPolicy` to model a restart
/// over the same persisted store.
public final class InMemoryReplayGuardStore: ReplayGuardStore {
    private struct State {
        var index: ReplayCodeIndex
        var lastCaptureID: Int64 = 0
    }

    private let state: Mutex<State>
    public let coder: ReplayCoder

    public init(retentionSeconds: Double, framesMax: Int, hammingMax: Int, coder: ReplayCoder) {
        state = Mutex(State(index: ReplayCodeIndex(framesMax: framesMax, retentionSeconds: retentionSeconds, hammingMax: hammingMax)))
        self.coder = coder
    }

    public convenience init(settings: LivenessSettings, coder: ReplayCoder = .fixed("in-memory")) {
        self.init(retentionSeconds: settings.replayRetentionSeconds, framesMax: settings.replayFramesMax,
                  hammingMax: settings.replayHammingMax, coder: coder)
    }

    public func screen(_ codes: [ReplayCode], challengeID: String, now: Date) async throws -> ReplayScreening {
        screenSynchronously(codes, challengeID: challengeID, nowMs: now.epochMilliseconds)
    }

    /// `screen`, synchronously (the SQLite store calls it before queueing the row).
    public func screenSynchronously(_ codes: [ReplayCode], challengeID: String, nowMs: Int64) -> ReplayScreening {
        // Within this process only (challenges outlive no restart that matters: 30 s).
        var hasher = Hasher()
        hasher.combine(challengeID)
        let challengeKey = UInt64(bitPattern: Int64(hasher.finalize())) | 1
        return state.withLock { state in
            state.lastCaptureID += 1
            let near = state.index.screenAndRemember(codes, captureID: state.lastCaptureID, challengeKey: challengeKey, nowMs: nowMs)
            return ReplayScreening(captureID: state.lastCaptureID, nearFrames: near)
        }
    }

    /// Restores one capture read back from durable storage, oldest first (start-up); later ids
    /// continue after the largest restored.
    public func restore(_ codes: [ReplayCode], captureID: Int64, atMs: Int64) {
        state.withLock { state in
            state.index.restore(codes, captureID: captureID, atMs: atMs)
            state.lastCaptureID = max(state.lastCaptureID, captureID)
        }
    }

    /// Later captures get ids above `id` (start-up: the largest id ever stored, even if its row is
    /// past the retention window and not restored).
    public func continueCaptureIDs(after id: Int64) {
        state.withLock { $0.lastCaptureID = max($0.lastCaptureID, id) }
    }

    /// Stops matching the frames of these captures (erasure).
    public func forget(captureIDs: Set<Int64>) {
        state.withLock { $0.index.forget(captureIDs: captureIDs) }
    }

    /// Frames currently remembered (tests).
    public var count: Int { state.withLock { $0.index.count } }
}
