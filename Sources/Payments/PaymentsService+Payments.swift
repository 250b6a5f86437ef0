import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import Ledger
import Liveness
import Stores
import Synchronization

extension PaymentsService {
    /// `POST /v1/payments` (terminal). Liveness, then 1:N identification (narrowed by the phone
    /// hint when given), then the ledger — the payment, its transfer, its audit event and the
    /// idempotency record in one SQLite transaction. Every decision, approved or declined, is an
    /// audit event; a decline is a 201 result, not an error.
    public func pay(_ caller: Caller) async throws -> UseCaseResponse {
        try await idempotently(caller, payOnce)
    }

    private func payOnce(_ caller: Caller, key: String) async throws -> UseCaseResponse {
        let request = try WireBody.decode(PaymentBody.self, from: caller.body)
        _ = try Self.positiveAmount(request.amount)
        let captureMethod = try Self.captureMethod(request.captureMethod)
        if let reference = request.reference, reference.isEmpty || reference.count > settings.referenceCharactersMax {
            throw FacePayError.invalidField("reference", "must be 1-\(settings.referenceCharactersMax) characters")
        }
        let bucket = try Self.hintBucket(request.hint)
        guard let merchantID = caller.device.merchantID else {
            throw FacePayError(.forbidden, code: "wrong_role", detail: "only a merchant's terminal can take payments")
        }

        // Before liveness: a refused model is configuration, not an attempt, and uses no challenge.
        if settings.paymentModelsRefused.contains(request.face.model) {
            throw FacePayError(.unprocessable, code: "model_not_fit",
                               detail: "model '\(request.face.model.prefix(64))' is not fit for payments at the configured match target")
        }
        let policy = settings.matchPolicy.forPayment(amountMinor: request.amount)

        let face = try await checkFace(request.face, caller: caller)
        let amount = Money(amountMinor: request.amount, currency: request.currency)
        let now = clock.now()
        let holdExpiresAt = captureMethod == .manual ? now.addingTimeInterval(settings.holdDurationSeconds) : nil
        let deviceID = caller.device.id
        let reference = request.reference
        let paymentID = LedgerIdentifier.make(.payment, now: now)

        let frame = self.frame(caller, key: key, now: now)
        func declined(_ code: String, detail: [String: CanonicalJSON], attempts: AttemptOutcome,
                      liveness: LivenessSummary) async throws -> UseCaseResponse {
            let payment = DeclinedPayment(paymentID: paymentID, amount: amount, captureMethod: captureMethod, declineCode: code,
                                          merchantID: merchantID, deviceID: deviceID, reference: reference, auditDetail: detail)
            let response = try await ledger.recordDeclined(payment, attempts: attempts.stored(actor: deviceID, now: now), frame: frame) { payment in
                try .json(201, PaymentResponse(payment, customer: nil, liveness: liveness, match: nil))
            }
            if !response.replayed { observer.paymentDecided(PaymentStatus.declined.rawValue, code) }
            return UseCaseResponse(response)
        }

        switch face {
        case .notLive(let failed, let attempts):
            let detail = Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil,
                                              templatesSearched: nil, model: request.face.model)
            return try await declined("liveness_failed", detail: detail, attempts: attempts,
                                      liveness: LivenessSummary(passed: false, failedChecks: failed.map(\.rawValue)))

        case .live(let probe, let profile, let captureID):
            let index = try galleries.index(for: profile.id)
            let searched: Int
            let decision: MatchDecision
            if let bucket, budgets.isSteppedUp(.hintBucket, bucket) {
                // Too many failed matches aimed at this bucket lately: ask for more than the last four.
                (searched, decision) = (0, .hintRequired)
            } else {
                let search = galleries.search(index, probe, bucket: bucket)
                searched = search.templatesSearched
                decision = OpenSetDecision.identify(candidates: search.candidates, templatesSearched: search.templatesSearched,
                                                    profile: profile, policy: policy)
            }
            let attempts = recordFailedMatch(decision, deviceID: deviceID, bucket: bucket, customerID: nil)
            let liveness = LivenessSummary(passed: true, failedChecks: nil)
            let modelID = profile.id
            guard case .accepted(let customerID, let score, let margin) = decision else {
                let (code, bestScore) = Self.declineCode(decision)
                let detail = Self.faceAuditDetail(failedChecks: nil, decision: code, score: bestScore, margin: nil,
                                                  templatesSearched: searched, model: modelID, policy: policy)
                return try await declined(code, detail: detail, attempts: attempts, liveness: liveness)
            }
            let detail = Self.faceAuditDetail(failedChecks: nil, decision: "accepted", score: score, margin: margin,
                                              templatesSearched: searched, model: modelID, policy: policy)
            let match = MatchSummary(score: score, margin: margin)
            let payment = MatchedPayment(
                paymentID: paymentID, amount: amount, captureMethod: captureMethod, customerID: customerID, merchantID: merchantID,
                deviceID: deviceID, reference: reference, holdExpiresAt: holdExpiresAt, auditDetail: detail,
                template: TemplateUse(customerID: customerID, modelID: modelID, captureID: captureID))
            // The decision the committed unit made (a unit may run again before it commits).
            let decided = Mutex<(String, String?)?>(nil)
            let response = try await ledger.pay(payment, attempts: attempts.stored(actor: deviceID, now: now), frame: frame) { decision, customer in
                let summary = Self.summary(customer)
                switch decision {
                case .accepted(let step):
                    decided.withLock { $0 = (step.payment.status.rawValue, nil) }
                    return try .json(201, PaymentResponse(step.payment, customer: summary, liveness: liveness, match: match))
                case .declined(let payment) where payment.customerID == nil:
                    // The store found the matched template gone (erased on another node since this
                    // node's gallery heard): no customer, no match to report.
                    decided.withLock { $0 = (payment.status.rawValue, payment.declineCode) }
                    return try .json(201, PaymentResponse(payment, customer: nil, liveness: liveness, match: nil))
                case .declined(let payment):
                    decided.withLock { $0 = (payment.status.rawValue, payment.declineCode) }
                    return try .json(201, PaymentResponse(payment, customer: summary, liveness: liveness, match: match))
                case .rejected(let code):
                    throw Self.ledgerError(code)
                }
            }
            if !response.replayed, let (status, code) = decided.withLock({ $0 }) { observer.paymentDecided(status, code) }
            return UseCaseResponse(response)
        }
    }

    /// `GET /v1/payments/{id}`: the merchant's own terminals, or an auditor.
    public func payment(id: String, caller: Caller) async throws -> UseCaseResponse {
        let payment = try await visiblePayment(id: id, caller: caller)
        let customer = try await payment.customerID.asyncFlatMap { id in try await customers.customer(id: id) }
        let body = try WireBody.encode(PaymentResponse(payment, customer: customer.map(Self.summary), liveness: nil, match: nil))
        return UseCaseResponse(status: 200, body: body)
    }

    /// `POST /v1/payments/{id}/capture` `{"amount": ≤ held}` (whole hold when absent).
    public func capture(paymentID: String, caller: Caller) async throws -> UseCaseResponse {
        try await changePayment(paymentID: paymentID, caller: caller) { amount in .capture(amountMinor: amount) }
    }

    /// `POST /v1/payments/{id}/void`: releases the whole hold.
    public func void(paymentID: String, caller: Caller) async throws -> UseCaseResponse {
        try await changePayment(paymentID: paymentID, caller: caller) { _ in .void }
    }

    /// `POST /v1/payments/{id}/refunds` `{"amount": …}` (everything not yet refunded when absent);
    /// the total refunded never exceeds what was captured.
    public func refund(paymentID: String, caller: Caller) async throws -> UseCaseResponse {
        try await changePayment(paymentID: paymentID, caller: caller) { amount in .refund(amountMinor: amount) }
    }

    /// Capture, void and refund: idempotent, and only on this merchant's payments.
    private func changePayment(paymentID: String, caller: Caller,
                               _ makeChange: (Int64?) -> PaymentChange) async throws -> UseCaseResponse {
        try await idempotently(caller) { caller, key in
            let amount = caller.body.isEmpty ? nil : try WireBody.decode(AmountBody.self, from: caller.body).amount
            if let amount { _ = try Self.positiveAmount(amount) }
            _ = try await visiblePayment(id: paymentID, caller: caller)
            let change = makeChange(amount)
            return UseCaseResponse(try await ledger.change(change, paymentID: paymentID, frame: frame(caller, key: key, now: clock.now())) { outcome, customer in
                switch outcome {
                case .accepted(let step):
                    guard case .refund = change else {
                        return try .json(200, PaymentResponse(step.payment, customer: customer.map(Self.summary), liveness: nil, match: nil))
                    }
                    guard let refund = step.refund else { preconditionFailure("a refund step carries its refund") }
                    return try .json(201, RefundResponse(refund))
                case .rejected(.paymentNotRefundable) where amount == nil:
                    throw FacePayError(.conflict, code: "payment_not_refundable", detail: "nothing left to refund on \(paymentID)")
                case .rejected(let code):
                    throw Self.ledgerError(code)
                }
            })
        }
    }

    /// The payment if the caller may see it: an auditor, or a terminal of the same merchant.
    /// Anything else is 404, so a terminal cannot learn that another merchant's payment exists.
    func visiblePayment(id: String, caller: Caller) async throws -> Payment {
        guard id.hasPrefix("pay_"), id.utf8.count <= 64, let payment = try await ledger.payment(id: id) else {
            throw Self.paymentNotFound(id)
        }
        switch caller.device.role {
        case .auditor: return payment
        case .terminal where payment.merchantID == caller.device.merchantID: return payment
        default: throw Self.paymentNotFound(id)
        }
    }

    static func paymentNotFound(_ id: String) -> FacePayError {
        FacePayError(.notFound, code: "not_found", detail: "no payment \(id)")
    }

    /// Ledger result codes that are not payment declines become 4xx errors with the same code.
    static func ledgerError(_ code: LedgerResultCode) -> FacePayError {
        switch code {
        case .paymentNotFound, .pendingTransferNotFound:
            FacePayError(.notFound, code: "not_found", detail: "no such payment")
        case .exceedsPendingTransferAmount:
            FacePayError(.unprocessable, code: "capture_exceeds_authorized", detail: "capture amount exceeds the held amount")
        case .refundExceedsCaptured:
            FacePayError(.unprocessable, code: "refund_exceeds_captured", detail: "refunds would exceed the captured amount")
        case .accountFrozen, .currencyMismatch, .limitExceeded, .insufficientFunds:
            FacePayError(.unprocessable, code: code.rawValue, detail: "the ledger refused: \(code.rawValue)")
        case .pendingTransferExpired:
            FacePayError(.conflict, code: "payment_not_authorized", detail: "the hold has expired")
        case .pendingTransferAlreadyPosted, .pendingTransferAlreadyVoided, .pendingTransferNotPending:
            FacePayError(.conflict, code: "payment_not_authorized", detail: "the payment has no open hold")
        case .paymentNotRefundable:
            FacePayError(.conflict, code: "payment_not_refundable", detail: "the payment has nothing captured to refund")
        default:
            FacePayError(.unprocessable, code: code.rawValue, detail: "the ledger refused: \(code.rawValue)")
        }
    }

    static func captureMethod(_ text: String?) throws -> CaptureMethod {
        guard let text else { return .automatic }
        guard let method = CaptureMethod(rawValue: text) else {
            throw FacePayError.invalidField("capture_method", "must be 'automatic' or 'manual'")
        }
        return method
    }

    /// The phone-hint bucket: exactly four ASCII digits.
    static func hintBucket(_ hint: HintBody?) throws -> String? {
        guard let digits = hint?.phoneLast4 else { return nil }
        guard digits.utf8.count == 4, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw FacePayError.invalidField("hint.phone_last4", "must be exactly four digits")
        }
        return digits
    }

    /// The decline code of a non-accepting match decision, and the best score for the audit log.
    static func declineCode(_ decision: MatchDecision) -> (code: String, bestScore: Float?) {
        switch decision {
        case .accepted(_, let score, _): ("accepted", score)
        case .noMatch(let score): ("no_match", score)
        case .ambiguous(let best, _): ("ambiguous_match", best.score)
        case .hintRequired: ("hint_required", nil)
        }
    }
}

extension Optional {
    /// `flatMap` with an asynchronous transform.
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
