import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import Ledger
import Liveness
import Stores

extension PaymentsService {
    /// `POST /v1/customers` (kiosk). Consent first (nothing biometric is looked at without it),
    /// then liveness, then a duplicate-face check against the whole gallery (409 that never says
    /// who), then — in one transaction — the customer with its consent record, the wallet, the
    /// initial deposit, the sealed template and the audit event. The template joins the index
    /// only after that transaction committed.
    public func enrol(_ caller: Caller) async throws -> UseCaseResponse {
        try await idempotently(caller, enrolOnce)
    }

    private func enrolOnce(_ caller: Caller, key: String) async throws -> UseCaseResponse {
        let request = try WireBody.decode(EnrolmentBody.self, from: caller.body)
        guard let consent = request.consent, consent.accepted else {
            throw FacePayError(.unprocessable, code: "consent_required", detail: "the customer must accept the consent text")
        }
        let consentVersion = consent.version.trimmingCharacters(in: .whitespaces)
        guard !consentVersion.isEmpty, consentVersion.count <= 32,
              settings.acceptedConsentVersions.isEmpty || settings.acceptedConsentVersions.contains(consentVersion) else {
            throw FacePayError.invalidField("consent.version", "is not a consent version this server presents")
        }
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 200 else { throw FacePayError.invalidField("name", "must be 1-200 characters") }
        let phone = request.phone.filter { $0 != " " && $0 != "-" }
        guard phone.hasPrefix("+"), phone.dropFirst().allSatisfy(\.isASCII), phone.dropFirst().allSatisfy(\.isNumber),
              (8...16).contains(phone.count), phone.dropFirst().first != "0" else {
            throw FacePayError.invalidField("phone", "must be an E.164 number such as +4915112345678")
        }
        let deposit = request.initialDeposit.money
        guard deposit.amountMinor >= 0 else { throw FacePayError.invalidField("initial_deposit.amount", "must not be negative") }
        // Before liveness: an over-cap deposit is refused without using the challenge.
        try settings.depositCaps.check(deposit.amountMinor, depositedTodayMinor: 0)

        let face = try await checkFace(request.face, caller: caller)
        let now = clock.now()
        let kioskID = caller.device.id
        guard case .live(let probe, let profile, let captureID) = face else {
            if case .notLive(let failed, let attempts) = face {
                // Audit the failed attempt and the lockout, then answer 422 (nothing is stored as a result).
                let audit = AuditEntry(actor: kioskID, action: "enrolment.liveness_failed", subject: kioskID,
                                       detail: Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil,
                                                                    templatesSearched: nil, model: profile(of: request)))
                try await customers.recordFaceAttempt(audit, attempts: attempts.stored(actor: kioskID, now: now), used: nil, now: now)
                throw LivenessFailure(failedChecks: failed.map(\.rawValue))
            }
            preconditionFailure("unreachable")
        }
        // The duplicate search, the insert and the index update are one step: two kiosks enrolling
        // the same face at once must not both pass the duplicate check (that person would then be
        // ambiguous_match forever). Liveness above runs concurrently; only this part is serial.
        return try await enrolmentGate.run {
            let index = try galleries.index(for: profile.id)
            let duplicate = galleries.search(index, probe, bucket: nil)
            if case .accepted = OpenSetDecision.identify(candidates: duplicate.candidates, templatesSearched: duplicate.templatesSearched,
                                                         profile: profile, policy: settings.matchPolicy) {
                try await customers.recordFaceAttempt(
                    AuditEntry(actor: kioskID, action: "enrolment.duplicate_face", subject: kioskID, detail: ["model": .string(profile.id)]),
                    attempts: .none, used: nil, now: now)
                throw FacePayError(.conflict, code: "already_enrolled", detail: "this face is already enrolled")
            }

            let customerID = LedgerIdentifier.make(.customer, now: now)
            let enrolment = NewEnrolment(customerID: customerID, fullName: name, phoneE164: phone, consentVersion: consentVersion,
                                         kioskID: kioskID, initialDeposit: deposit, template: probe.values, modelID: profile.id,
                                         captureID: captureID)
            let response = UseCaseResponse(try await customers.enrol(enrolment, frame: self.frame(caller, key: key, now: now)) { account, deposited in
                var balance: Int64 = 0
                switch deposited {
                case .accepted?: balance = deposit.amountMinor
                case .rejected(let code)?: throw Self.ledgerError(code)
                case nil: break
                }
                return try .json(201, EnrolmentResponse(customerID: customerID, accountID: account.id,
                                                         currency: deposit.currency.code, balance: balance))
            })
            if !response.replayed {
                _ = index.add(subjectID: customerID, bucket: String(phone.suffix(4)), embedding: probe)
            }
            return response
        }
    }

    /// `POST /v1/customers/{id}/deposits` (kiosk): tops up the customer's wallet.
    public func deposit(customerID: String, caller: Caller) async throws -> UseCaseResponse {
        try await idempotently(caller) { caller, key in try await depositOnce(customerID: customerID, caller: caller, key: key) }
    }

    private func depositOnce(customerID: String, caller: Caller, key: String) async throws -> UseCaseResponse {
        let request = try WireBody.decode(MoneyBody.self, from: caller.body)
        _ = try Self.positiveAmount(request.amount)
        let caps = settings.depositCaps
        try caps.checkAmount(request.amount)
        let now = clock.now()
        let deposit = WalletDeposit(customerID: customerID, amount: request.money, depositsCountedSince: DepositCaps.startOfUTCDay(now))
        let frame = self.frame(caller, key: key, now: now)
        return UseCaseResponse(try await ledger.deposit(deposit, frame: frame, admit: { customer, depositedToday in
            guard customer != nil else { throw FacePayError(.notFound, code: "not_found", detail: "no customer \(customerID)") }
            // Inside the deposit's transaction, so two concurrent deposits cannot both pass the day's cap.
            try caps.check(request.amount, depositedTodayMinor: depositedToday)
        }, respond: { customer, outcome, balance in
            switch outcome {
            case .accepted(let transfer):
                return try .json(201, DepositResponse(
                    transferID: transfer.id, customerID: customerID, accountID: customer.accountID, amount: request.amount,
                    currency: request.currency.code, balance: balance, createdAt: now.rfc3339))
            case .rejected(let code):
                throw Self.ledgerError(code)
            }
        }))
    }
}

private func profile(of request: EnrolmentBody) -> String { request.face.model }

/// 422 `liveness_failed` for kiosk calls (enrolment, erasure), naming the failed checks only.
public struct LivenessFailure: Error, Sendable {
    public let failedChecks: [String]
}
