import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import Liveness
import Stores

extension PaymentsService {
    /// `POST /v1/verifications` (terminal): 1:1 against `customer_id`, or 1:N (narrowed by the
    /// hint). No money moves; the decision is audited like a payment's.
    public func verify(_ caller: Caller) async throws -> UseCaseResponse {
        let request = try WireBody.decode(VerificationBody.self, from: caller.body)
        if request.customerID != nil, request.hint != nil {
            throw FacePayError.invalidField("hint", "give either customer_id (1:1) or hint (1:N), not both")
        }
        let bucket = try Self.hintBucket(request.hint)
        if let customerID = request.customerID, try await customers.customer(id: customerID) == nil {
            throw FacePayError(.notFound, code: "not_found", detail: "no customer \(customerID)")
        }
        let face = try await checkFace(request.face, caller: caller)
        let deviceID = caller.device.id
        let now = clock.now()
        let response: VerificationResponse
        let detail: [String: CanonicalJSON]
        var attempts = AttemptOutcome.none
        var matchedCustomer: String?
        var matchedCapture: Int64?
        var matchedModel = request.face.model
        switch face {
        case .notLive(let failed, let outcome):
            attempts = outcome
            response = VerificationResponse(verified: false, failureCode: "liveness_failed", customer: nil, match: nil,
                                            liveness: LivenessSummary(passed: false, failedChecks: failed.map(\.rawValue)))
            detail = Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil, templatesSearched: nil,
                                          model: request.face.model)
        case .live(let probe, let profile, let captureID):
            matchedModel = profile.id
            let index = try galleries.index(for: profile.id)
            let decision: MatchDecision
            let searched: Int
            if let customerID = request.customerID, budgets.isSteppedUp(.customer, customerID) {
                // Too many failed 1:1 matches claiming this customer lately: another factor first.
                decision = .hintRequired
                searched = 0
            } else if let bucket, budgets.isSteppedUp(.hintBucket, bucket) {
                decision = .hintRequired
                searched = 0
            } else if let customerID = request.customerID {
                let score = index.score(probe, subjectID: customerID)
                decision = score.map { OpenSetDecision.verify(subjectID: customerID, score: $0, profile: profile, policy: settings.matchPolicy) } ?? .noMatch(score: nil)
                searched = 1
            } else {
                let search = galleries.search(index, probe, bucket: bucket)
                decision = OpenSetDecision.identify(candidates: search.candidates, templatesSearched: search.templatesSearched,
                                                    profile: profile, policy: settings.matchPolicy)
                searched = search.templatesSearched
            }
            attempts = recordFailedMatch(decision, deviceID: deviceID, bucket: bucket, customerID: request.customerID)
            let liveness = LivenessSummary(passed: true, failedChecks: nil)
            if case .accepted(let customerID, let score, let margin) = decision,
               let customer = try await customers.customer(id: customerID) {
                matchedCustomer = customerID
                matchedCapture = captureID
                response = VerificationResponse(verified: true, failureCode: nil, customer: Self.summary(customer),
                                                match: MatchSummary(score: score, margin: margin), liveness: liveness)
                detail = Self.faceAuditDetail(failedChecks: nil, decision: "accepted", score: score, margin: margin,
                                              templatesSearched: searched, model: profile.id)
            } else {
                let (code, best) = Self.declineCode(decision)
                response = VerificationResponse(verified: false, failureCode: code == "accepted" ? "no_match" : code,
                                                customer: nil, match: nil, liveness: liveness)
                detail = Self.faceAuditDetail(failedChecks: nil, decision: code, score: best, margin: nil,
                                              templatesSearched: searched, model: profile.id)
            }
        }
        let body = try WireBody.encode(response)
        let subject = request.customerID ?? matchedCustomer ?? deviceID
        let audit = AuditEntry(actor: deviceID, action: response.verified ? "verification.accepted" : "verification.declined",
                               subject: subject, detail: detail)
        let used = matchedCustomer.map { TemplateUse(customerID: $0, modelID: matchedModel, captureID: matchedCapture) }
        try await customers.recordFaceAttempt(audit, attempts: attempts.stored(actor: deviceID, now: now), used: used, now: now)
        return UseCaseResponse(status: 200, body: body)
    }
}
