import Foundation
import Synchronization

/// A `ChallengeStore` in a dictionary behind a `Mutex`: for tests and the in-process simulator.
/// Same semantics as the SQLite store; bounded by `capacity` (inserting beyond it first purges
/// expired challenges, then refuses as "too many outstanding").
public final class InMemoryChallengeStore: ChallengeStore {
    private struct State {
        var challenges: [String: Challenge] = [:]
        /// Ids of each device's challenges that may still be outstanding (pruned on insert), so
        /// counting them does not scan the whole table.
        var pendingByDevice: [String: [String]] = [:]
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 100_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public func insert(_ challenge: Challenge, outstandingPerDeviceMax: Int, now: Date) async throws -> ChallengeInsertion {
        state.withLock { state in
            if state.challenges.count >= capacity {
                state.challenges = state.challenges.filter { !$0.value.isExpired(at: now) }
            }
            var pending = state.pendingByDevice[challenge.deviceID] ?? []
            pending.removeAll { id in
                guard let stored = state.challenges[id] else { return true }
                return stored.usedAt != nil || stored.isExpired(at: now)
            }
            guard pending.count < outstandingPerDeviceMax, state.challenges.count < capacity else {
                state.pendingByDevice[challenge.deviceID] = pending
                return .tooManyOutstanding
            }
            precondition(state.challenges[challenge.id] == nil, "challenge ids are unique")
            state.challenges[challenge.id] = challenge
            pending.append(challenge.id)
            state.pendingByDevice[challenge.deviceID] = pending
            return .inserted
        }
    }

    public func consume(id: String, deviceID: String, now: Date) async throws -> ChallengeConsumption {
        state.withLock { state in
            guard var challenge = state.challenges[id] else { return .unknown }
            guard challenge.deviceID == deviceID else { return .otherDevice }
            guard challenge.usedAt == nil else { return .alreadyUsed(challenge) }
            guard !challenge.isExpired(at: now) else { return .expired(challenge) }
            challenge.usedAt = now
            state.challenges[id] = challenge
            return .consumed(challenge)
        }
    }

    public func deleteExpired(before cutoff: Date) async throws -> Int {
        state.withLock { state in
            let before = state.challenges.count
            state.challenges = state.challenges.filter { $0.value.expiresAt >= cutoff }
            return before - state.challenges.count
        }
    }

    /// Number of stored challenges (tests).
    public var count: Int { state.withLock { $0.challenges.count } }
}
