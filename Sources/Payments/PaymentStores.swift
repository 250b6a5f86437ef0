import Liveness
import Stores

/// Every store the use cases speak to, as protocols: the composition root (`FacePayServer`)
/// hands in one backend's implementations, and nothing in `Payments` knows which.
public struct PaymentStores: Sendable {
    public let ledger: any PaymentLedger
    public let customers: any CustomerStore
    public let idempotency: any IdempotencyStore
    public let challenges: any ChallengeStore
    public let replayGuard: any DurableReplayGuardStore
    public let attemptFailures: any AttemptFailureStore

    public init(ledger: any PaymentLedger, customers: any CustomerStore, idempotency: any IdempotencyStore,
                challenges: any ChallengeStore, replayGuard: any DurableReplayGuardStore, attemptFailures: any AttemptFailureStore) {
        self.ledger = ledger
        self.customers = customers
        self.idempotency = idempotency
        self.challenges = challenges
        self.replayGuard = replayGuard
        self.attemptFailures = attemptFailures
    }
}
