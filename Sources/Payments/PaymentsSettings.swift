import Biometrics
import FacePayCore
import Foundation
import Ledger
import Liveness

/// The business settings of the use cases; every value has a product default and a flag/env
/// override in `facepay serve`.
public struct PaymentsSettings: Sendable {
    /// Open-set decision: target false-accept rate per attempt (with stricter tiers for larger
    /// payments) and runner-up margin.
    public var matchPolicy = MatchPolicy()
    /// Models that may not take payments (422 `model_not_fit`): in `--production`, every model
    /// whose calibration is not fit at the target (`ModelFitness`) unless the operator accepted it.
    public var paymentModelsRefused: Set<String> = []
    /// Liveness thresholds, challenge TTL, lockout, signature policy.
    public var liveness = LivenessSettings()
    /// Failed matches per device, per hint bucket and per customer (see `AttemptBudgetSettings`).
    public var attemptBudgets = AttemptBudgetSettings()
    /// Per-deposit and per-day deposit caps per customer (see `DepositCaps`).
    public var depositCaps = DepositCaps()
    /// Manual-capture holds lapse after this long (SPEC: 7 days; the ledger's default).
    public var holdDurationSeconds: TimeInterval = PaymentRules.holdDurationSecondsDefault
    /// Templates not used by a payment or verification for this long are purged (SPEC: 3 years).
    public var templateRetentionSeconds: TimeInterval = 3 * 365 * 86_400
    /// Longest Idempotency-Key (the server copies `Limits.idempotencyKeyCharactersMax` here).
    public var idempotencyKeyCharactersMax = Limits().idempotencyKeyCharactersMax
    /// Longest `reference` on a payment.
    public var referenceCharactersMax = 255
    /// The consent text versions a kiosk may present (empty: any non-empty version).
    public var acceptedConsentVersions: Set<String> = []
    /// An erasure's WAL checkpoint is retried this many times, 100 ms apart, while readers keep it
    /// busy; then the answer is 503 `erasure_incomplete` and a retry finishes it.
    public var erasureCheckpointAttemptsMax = 50

    public init() {}
}
