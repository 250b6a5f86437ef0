import FacePayCore
import Foundation
import Liveness
import Stores
import Synchronization

/// The attempt budgets' settings. The reasoning is in docs/BIOMETRICS.md ("Attempt budgets").
public struct AttemptBudgetSettings: Sendable, Equatable {
    /// **A device: 10 failed matches in 10 minutes lock it for 30 minutes.** A busy till serves
    /// a customer every 20 s at most (30 in 10 minutes); at a fit model's FRR (≤ 5 %) that is 1.5
    /// failed matches expected, and 10 happen with probability ≈ 1e-6. A terminal that sends
    /// failed matches as fast as it can (several a second) is locked within seconds, and even one
    /// every 6 s within a minute.
    public var deviceMatchFailuresMax = 10
    public var deviceMatchWindowSeconds: Double = 600
    public var deviceMatchLockSeconds: Double = 1_800
    /// **A hint bucket or a claimed customer: 5 failed matches in 15 minutes, from any devices,
    /// step it up for 30 minutes** (it answers `hint_required`: more of the phone number or
    /// another factor). FIDO's rule — at most 5 attempts — so an impostor who knows a customer's
    /// last four gets at most 5 × 2e-5 = 1e-4 per cooling-off period, however many terminals
    /// they use. A bucket's own customers (about 10) fail a match rarely enough at a fit model's
    /// FRR that 5 in 15 minutes does not happen to them.
    public var targetFailuresMax = 5
    public var targetWindowSeconds: Double = 900
    public var targetStepUpSeconds: Double = 1_800

    public init() {}
}

/// Every budget a failed attempt counts against, with the lockout of liveness failures: each an
/// in-memory `LockoutTracker`, each failure persisted (`AttemptFailureLog`) in the transaction of
/// the decision it belongs to and replayed at start-up (`load`), so a crash or a deploy lifts no
/// lock.
final class AttemptBudgets: Sendable {
    enum Budget: String, Sendable, CaseIterable {
        /// Liveness failures of a device (`LivenessSettings.lockout*`).
        case liveness
        /// Failed matches of a device.
        case deviceMatch = "device_match"
        /// Failed matches aimed at a phone-hint bucket, from any device.
        case hintBucket = "hint_bucket"
        /// Failed 1:1 matches claiming a customer, from any device.
        case customer
    }

    private let trackers: [Budget: LockoutTracker]
    private let clock: any WallClock
    /// Appends since the last prune of the log.
    private let appends = Mutex(0)
    static let pruneEvery = 256

    init(liveness: LivenessSettings, budgets: AttemptBudgetSettings, clock: any WallClock) {
        self.clock = clock
        trackers = [
            .liveness: LockoutTracker(settings: liveness, clock: clock),
            .deviceMatch: LockoutTracker(failuresMax: budgets.deviceMatchFailuresMax, windowSeconds: budgets.deviceMatchWindowSeconds,
                                         durationSeconds: budgets.deviceMatchLockSeconds, clock: clock),
            .hintBucket: LockoutTracker(failuresMax: budgets.targetFailuresMax, windowSeconds: budgets.targetWindowSeconds,
                                        durationSeconds: budgets.targetStepUpSeconds, clock: clock),
            .customer: LockoutTracker(failuresMax: budgets.targetFailuresMax, windowSeconds: budgets.targetWindowSeconds,
                                      durationSeconds: budgets.targetStepUpSeconds, clock: clock),
        ]
    }

    private func tracker(_ budget: Budget) -> LockoutTracker {
        guard let tracker = trackers[budget] else { preconditionFailure("every budget has a tracker") }
        return tracker
    }

    /// How far back the log matters for any budget.
    var memorySeconds: Double { trackers.values.map(\.memorySeconds).max() ?? 0 }

    /// Replays the persisted failures of the last `memorySeconds` (start-up), read by `failuresSince`.
    func load(_ failuresSince: (Date) throws -> [(failure: AttemptFailure, at: Date)]) throws {
        let horizon = clock.now().addingTimeInterval(-memorySeconds)
        for (failure, at) in try failuresSince(horizon) {
            guard let budget = Budget(rawValue: failure.budget) else { continue }
            tracker(budget).recordFailure(deviceID: failure.subject, at: at)
        }
    }

    /// Counts failures another node recorded (already persisted by it, audited by it when they
    /// engaged a lock): this node's trackers see every failure, wherever it happened.
    func absorb(_ failures: [(failure: AttemptFailure, at: Date)]) {
        for (failure, at) in failures {
            guard let budget = Budget(rawValue: failure.budget) else { continue }
            tracker(budget).recordFailure(deviceID: failure.subject, at: at)
        }
    }

    /// Until when biometric calls of the device are refused, and why; nil when they are not.
    func deviceLockedUntil(_ deviceID: String) -> (until: Date, reason: Budget)? {
        [Budget.liveness, .deviceMatch].compactMap { budget in tracker(budget).lockedUntil(deviceID: deviceID).map { ($0, budget) } }
            .max { $0.until < $1.until }
    }

    /// True while the bucket or customer is stepped up (answers `hint_required`).
    func isSteppedUp(_ budget: Budget, _ subject: String) -> Bool {
        tracker(budget).isLocked(deviceID: subject)
    }

    /// Counts one failure against each (budget, subject); returns what to persist and which locks
    /// these failures engaged.
    func record(_ failures: [(Budget, String)]) -> AttemptOutcome {
        var outcome = AttemptOutcome.none
        for (budget, subject) in failures {
            let failure = AttemptFailure(budget: budget.rawValue, subject: subject)
            outcome.failures.append(failure)
            if tracker(budget).recordFailure(deviceID: subject) { outcome.engaged.append(failure) }
        }
        let prune = !failures.isEmpty && appends.withLock { count in
            count += 1
            return count % Self.pruneEvery == 0
        }
        if prune { outcome.pruneOlderThanSeconds = memorySeconds }
        return outcome
    }
}

/// What a failed attempt changed in the budgets: the failures to persist, the locks and step-ups
/// they engaged (to audit), and whether this write also prunes the log (of rows older than that).
struct AttemptOutcome: Sendable {
    var failures: [AttemptFailure]
    var engaged: [AttemptFailure]
    var pruneOlderThanSeconds: Double?

    static let none = AttemptOutcome(failures: [], engaged: [], pruneOlderThanSeconds: nil)

    var engagedLivenessLockout: Bool { engaged.contains { $0.budget == AttemptBudgets.Budget.liveness.rawValue } }

    /// What the decision's unit of work writes: the failures, an audit event for every lock and
    /// step-up engaged, and the prune horizon when this write also prunes the log.
    func stored(actor: String, now: Date) -> FailedAttempts {
        let audits = engaged.map { lock in
            switch AttemptBudgets.Budget(rawValue: lock.budget) {
            case .liveness:
                AuditEntry(actor: actor, action: "device.locked", subject: lock.subject, detail: ["reason": .string("liveness_failures")])
            case .deviceMatch:
                AuditEntry(actor: actor, action: "device.locked", subject: lock.subject, detail: ["reason": .string("match_failures")])
            case .hintBucket, .customer, nil:
                AuditEntry(actor: actor, action: "attempts.stepped_up", subject: "\(lock.budget):\(lock.subject)",
                           detail: ["budget": .string(lock.budget)])
            }
        }
        return FailedAttempts(failures: failures, audits: audits, pruneBefore: pruneOlderThanSeconds.map { now.addingTimeInterval(-$0) })
    }
}
