import Biometrics
import FacePayCore
import Foundation
import Ledger
import Liveness
import Logging
import Stores

/// The use cases of FacePay — challenge, enrol, deposit, pay, capture, void, refund, verify,
/// erase — each in its own file, each readable top to bottom. This type holds what they share:
/// the stores (protocols, `PaymentStores`), the galleries, the liveness policy, the attempt
/// budgets and the clock.
public struct PaymentsService: Sendable {
    public let galleries: Galleries
    public let settings: PaymentsSettings
    public let clock: any WallClock
    let liveness: LivenessPolicy
    let challenges: ChallengeIssuer
    /// The liveness lockout and the attempt budgets (failed matches per device, per hint bucket,
    /// per customer), persisted and reloaded at start-up.
    let budgets: AttemptBudgets
    let observer: PaymentsObserver
    /// The stores of the boundary the use cases speak to (`PaymentStores`).
    let ledger: any PaymentLedger
    let customers: any CustomerStore
    let idempotency: any IdempotencyStore
    let replayGuard: any DurableReplayGuardStore
    let attemptFailures: any AttemptFailureStore
    let inFlightKeys = InFlightIdempotencyKeys()
    /// Enrolment's duplicate check and insert, one at a time (see `enrol`).
    let enrolmentGate = AsyncSerialGate()

    public init(stores: PaymentStores, galleries: Galleries, settings: PaymentsSettings,
                clock: any WallClock = SystemWallClock(), observer: PaymentsObserver = PaymentsObserver()) {
        self.galleries = galleries
        self.settings = settings
        self.clock = clock
        self.observer = observer
        ledger = stores.ledger
        customers = stores.customers
        idempotency = stores.idempotency
        replayGuard = stores.replayGuard
        attemptFailures = stores.attemptFailures
        liveness = LivenessPolicy(settings: settings.liveness, challengeStore: stores.challenges, replayGuard: stores.replayGuard, clock: clock)
        challenges = ChallengeIssuer(settings: settings.liveness, store: stores.challenges, clock: clock)
        budgets = AttemptBudgets(liveness: settings.liveness, budgets: settings.attemptBudgets, clock: clock)
    }

    /// Loads the replay guard's remembered frame codes from the database (otherwise the first
    /// capture does it): the server calls this at start-up.
    public func loadReplayGuard() throws {
        try replayGuard.loadIfNeeded(now: clock.now())
    }

    /// Replays the persisted failed attempts into the lockout and the budgets: the server calls
    /// this at start-up, so a restart lifts no lock and forgets no failure.
    public func loadAttemptBudgets() throws {
        try budgets.load(attemptFailures.attemptFailures(since:))
    }

    /// Counts the failed attempts other nodes of the same database recorded, so a lockout or a
    /// budget holds whichever node an attacker moves to (the PostgreSQL follower calls this).
    public func absorbAttemptFailures(_ failures: [(failure: AttemptFailure, at: Date)]) {
        budgets.absorb(failures)
    }

    /// Drops the replay codes of captures another node's erasure deleted (the PostgreSQL
    /// follower calls this), as the erasing node did at once.
    public func forgetReplayCaptures(_ captureIDs: Set<Int64>) {
        guard !captureIDs.isEmpty else { return }
        replayGuard.forget(captureIDs: captureIDs)
    }

    // MARK: - Shared steps

    /// The Idempotency-Key of a state-changing call, validated once here (`IdempotencyKey`); the
    /// stores only assert it.
    func idempotencyKey(_ caller: Caller) throws -> String {
        guard let key = caller.idempotencyKey else {
            throw FacePayError(.badRequest, code: "invalid_idempotency_key", detail: "the Idempotency-Key header is required")
        }
        return try IdempotencyKey.validated(key, charactersMax: settings.idempotencyKeyCharactersMax)
    }

    /// A caller's amount of minor units: positive (400 otherwise). The shape check of every
    /// amount a caller sends; the money rules (limits, funds, holds) are the ledger's.
    static func positiveAmount(_ amount: Int64, field: String = "amount") throws -> Int64 {
        guard amount > 0 else { throw FacePayError.invalidField(field, "must be a positive integer of minor units") }
        return amount
    }

    /// The fingerprint of exactly what was sent: method, path and body bytes.
    func fingerprint(_ caller: Caller) -> RequestFingerprint {
        RequestFingerprint(method: caller.method, path: caller.path, body: Data(caller.body))
    }

    /// The frame of every state-changing use case: the key is validated and claimed for the
    /// duration of the call (409 `idempotency_in_progress` while another request holds it, before
    /// anything is read or consumed), then the stored answer to an earlier identical request is
    /// returned before any liveness work (which would consume the challenge again; 409
    /// `idempotency_conflict` when the key was used with a different request); only a new key
    /// runs `work`.
    func idempotently(_ caller: Caller, _ work: (Caller, String) async throws -> UseCaseResponse) async throws -> UseCaseResponse {
        let key = try idempotencyKey(caller)
        let deviceID = caller.device.id
        guard inFlightKeys.claim(deviceID: deviceID, key: key) else {
            throw FacePayError(.conflict, code: "idempotency_in_progress",
                               detail: "a request with this Idempotency-Key is still being handled; retry to get its answer",
                               retryAfterSeconds: 1)
        }
        defer { inFlightKeys.release(deviceID: deviceID, key: key) }
        // The same across every process serving the store (several nodes on PostgreSQL).
        guard let claim = try await idempotency.claim(deviceID: deviceID, key: key, now: clock.now(), leaseSeconds: Self.claimLeaseSeconds) else {
            throw FacePayError(.conflict, code: "idempotency_in_progress",
                               detail: "a request with this Idempotency-Key is still being handled; retry to get its answer",
                               retryAfterSeconds: 1)
        }
        let response: Result<UseCaseResponse, any Error>
        do {
            if let stored = try await idempotency.storedResponse(deviceID: deviceID, key: key, fingerprint: fingerprint(caller)) {
                response = .success(UseCaseResponse(stored))
            } else {
                response = .success(try await work(caller, key))
            }
        } catch {
            response = .failure(error)
        }
        await idempotency.release(claim)
        return try response.get()
    }

    /// How long a claimed key stays claimed when its holder never releases it (a node that died
    /// mid-request): longer than any request may run (the request read timeout is 30 s by default).
    static let claimLeaseSeconds: Double = 120

    /// The frame a unit of work commits under: the caller's key and fingerprint, and `now`.
    func frame(_ caller: Caller, key: String, now: Date) -> IdempotencyFrame {
        IdempotencyFrame(deviceID: caller.device.id, key: key, fingerprint: fingerprint(caller), now: now)
    }

    /// What the liveness step concluded.
    enum FaceCheck: Sendable {
        /// `captureID`: under which the replay guard remembers the frames (see `attribute`).
        case live(probe: Embedding, profile: ModelProfile, captureID: Int64)
        /// Not live: the failed checks, and whether this failure locked the device out.
        case notLive(failedChecks: [LivenessCheckName], attempts: AttemptOutcome)
    }

    /// Model, lockout, then the liveness policy over the exact body bytes and signature. A
    /// malformed request (400 `unknown_model`, `invalid_embedding`) is reported as such even to a
    /// locked device: the lockout's 429 is for biometric work, which a request the server cannot
    /// read never reaches. (The policy validates the embeddings again on the honest path; only a
    /// locked device pays for the early look.)
    func checkFace(_ evidence: FaceEvidence, caller: Caller) async throws -> FaceCheck {
        let device = caller.device
        let profile = try galleries.models.requireProfile(id: evidence.model)
        if budgets.deviceLockedUntil(device.id) != nil {
            if evidence.frames.count <= settings.liveness.framesMax {
                _ = try evidence.validatedEmbeddings(dimension: profile.dimension)
            }
            try refuseIfLocked(device.id)
        }
        let publicKey = try device.signingPublicKey.map { try DevicePublicKey(rawRepresentation: $0) }
        let verdict = try await liveness.evaluate(LivenessSubmission(
            evidence: evidence, embeddingDimension: profile.dimension, deviceID: device.id,
            deviceIsTerminal: device.role == .terminal, devicePublicKey: publicKey,
            requestBody: caller.body, signatureHeader: caller.signature))
        switch verdict {
        case .live(let capture):
            return .live(probe: capture.probe, profile: profile, captureID: capture.captureID)
        case .notLive(let failed):
            observer.livenessFailed(device.id)
            observer.livenessChecksFailed(failed.map(\.rawValue))
            return .notLive(failedChecks: failed, attempts: recordFailedAttempt([(.liveness, device.id)]))
        }
    }

    /// 429 `device_locked` while the device's liveness lockout or match budget holds.
    func refuseIfLocked(_ deviceID: String) throws {
        guard let (until, reason) = budgets.deviceLockedUntil(deviceID) else { return }
        let why = reason == .liveness ? "too many liveness failures" : "too many failed matches"
        throw FacePayError(.tooManyRequests, code: "device_locked",
                           detail: "\(why); biometric calls are refused until \(until.rfc3339)",
                           retryAfterSeconds: max(1, Int(until.timeIntervalSince(clock.now()).rounded(.up))))
    }

    /// Counts a failed attempt against `failures`' budgets and reports each lock it engaged to the
    /// metrics; the caller hands `outcome.stored(actor:now:)` to the decision's unit of work.
    func recordFailedAttempt(_ failures: [(AttemptBudgets.Budget, String)]) -> AttemptOutcome {
        let outcome = budgets.record(failures)
        for lock in outcome.engaged {
            if lock.budget == AttemptBudgets.Budget.liveness.rawValue { observer.lockoutEngaged(lock.subject) }
            observer.budgetLocked(lock.budget)
        }
        return outcome
    }

    /// The failed-match budgets a no_match or ambiguous_match counts against: the device, and the
    /// bucket or customer the attempt aimed at. Other decisions count nothing.
    func recordFailedMatch(_ decision: MatchDecision, deviceID: String, bucket: String?, customerID: String?) -> AttemptOutcome {
        switch decision {
        case .noMatch, .ambiguous:
            var failures: [(AttemptBudgets.Budget, String)] = [(.deviceMatch, deviceID)]
            if let bucket { failures.append((.hintBucket, bucket)) }
            if let customerID { failures.append((.customer, customerID)) }
            return recordFailedAttempt(failures)
        case .accepted, .hintRequired:
            return .none
        }
    }

    /// The non-biometric facts of a face decision for its audit event: liveness verdict, the
    /// match decision with score and margin as fixed-point text, the target applied, and the device.
    static func faceAuditDetail(failedChecks: [LivenessCheckName]?, decision: String?, score: Float?, margin: Float?,
                                templatesSearched: Int?, model: String, policy: MatchPolicy? = nil) -> [String: CanonicalJSON] {
        var detail: [String: CanonicalJSON] = ["liveness_passed": .bool(failedChecks == nil), "model": .string(model)]
        // The match target the decision applied (tiers make it depend on the amount), e.g. "2e-05".
        if let policy { detail["match_target_fpir"] = .string(String(format: "%.0e", policy.targetFPIR)) }
        if let failedChecks { detail["liveness_failed_checks"] = .array(failedChecks.map { .string($0.rawValue) }) }
        if let decision { detail["match_decision"] = .string(decision) }
        if let score { detail["match_score"] = .string(String(format: "%.4f", score)) }
        if let margin { detail["match_margin"] = .string(String(format: "%.4f", margin)) }
        if let templatesSearched { detail["gallery_searched"] = .integer(Int64(templatesSearched)) }
        return detail
    }

    /// A customer's summary as the till shows it.
    static func summary(_ customer: Customer) -> CustomerSummary {
        CustomerSummary(id: customer.id, displayName: customer.displayName)
    }
}

/// Hooks for operations metrics (set by the HTTP layer); no biometric values pass through them.
public struct PaymentsObserver: Sendable {
    public var livenessFailed: @Sendable (String) -> Void
    public var lockoutEngaged: @Sendable (String) -> Void
    /// A lock or step-up engaged, by budget name (`liveness`, `device_match`, `hint_bucket`, `customer`).
    public var budgetLocked: @Sendable (String) -> Void
    /// A capture that failed liveness, by the checks it failed (`LivenessCheck` raw values).
    public var livenessChecksFailed: @Sendable ([String]) -> Void
    /// A payment decided and committed (not a stored answer replayed): its status (`approved`,
    /// `authorized`, `declined`) and, when declined, the code.
    public var paymentDecided: @Sendable (_ status: String, _ declineCode: String?) -> Void

    public init(livenessFailed: @escaping @Sendable (String) -> Void = { _ in },
                lockoutEngaged: @escaping @Sendable (String) -> Void = { _ in },
                budgetLocked: @escaping @Sendable (String) -> Void = { _ in },
                livenessChecksFailed: @escaping @Sendable ([String]) -> Void = { _ in },
                paymentDecided: @escaping @Sendable (String, String?) -> Void = { _, _ in }) {
        self.livenessFailed = livenessFailed
        self.lockoutEngaged = lockoutEngaged
        self.budgetLocked = budgetLocked
        self.livenessChecksFailed = livenessChecksFailed
        self.paymentDecided = paymentDecided
    }
}
