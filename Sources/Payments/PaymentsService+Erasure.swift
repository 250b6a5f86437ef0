import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import Liveness
import Stores

extension PaymentsService {
    /// `DELETE /v1/customers/{id}/biometrics` (kiosk), proven by a fresh live 1:1 capture of that
    /// customer. Every template row of the customer is deleted with `secure_delete` on, the
    /// customer leaves every in-memory index, the erasure is written to the erasure journal (so a
    /// restored older backup re-applies it), and the WAL is checkpointed and truncated. The account
    /// and its money stay. Audited.
    ///
    /// Atomic and retryable: nothing changes in memory before the deletion committed, so a failed
    /// commit (queue full, busy, disk) leaves the customer searchable and their template stored,
    /// and a retry with the same key runs again. The answer is 204 only once every step is done,
    /// the WAL checkpoint included; a checkpoint that stays busy is 503 `erasure_incomplete`
    /// (Retry-After), and a retry with the same key finishes the steps after the commit.
    public func eraseBiometrics(customerID: String, caller: Caller) async throws -> UseCaseResponse {
        let response = try await idempotently(caller) { caller, key in try await eraseOnce(customerID: customerID, caller: caller, key: key) }
        // Also on a replayed 204: the retry of an erasure whose checkpoint stayed busy completes it.
        galleries.removeEverywhere(customerID: customerID)
        guard try await customers.completeErasure(customerID: customerID, erasedAt: clock.now(),
                                                  attemptsMax: settings.erasureCheckpointAttemptsMax) else {
            throw FacePayError(.unavailable, code: "erasure_incomplete",
                               detail: "the template is deleted but its pages are not yet overwritten on disk; retry with the same Idempotency-Key",
                               retryAfterSeconds: 1)
        }
        return response
    }

    private func eraseOnce(customerID: String, caller: Caller, key: String) async throws -> UseCaseResponse {
        let request = try WireBody.decode(ErasureBody.self, from: caller.body)
        guard let customer = try await customers.customer(id: customerID) else {
            throw FacePayError(.notFound, code: "not_found", detail: "no customer \(customerID)")
        }
        let face = try await checkFace(request.face, caller: caller)
        let kioskID = caller.device.id
        let now = clock.now()
        switch face {
        case .notLive(let failed, let attempts):
            let audit = AuditEntry(actor: kioskID, action: "erasure.liveness_failed", subject: customerID,
                                   detail: Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil,
                                                                templatesSearched: nil, model: request.face.model))
            try await customers.recordFaceAttempt(audit, attempts: attempts.stored(actor: kioskID, now: now), used: nil, now: now)
            throw LivenessFailure(failedChecks: failed.map(\.rawValue))
        case .live(let probe, let profile, let captureID):
            let alreadyErased = customer.biometricsErasedAt != nil
            if !alreadyErased {
                let index = try galleries.index(for: profile.id)
                let score = index.score(probe, subjectID: customerID)
                guard let score, case .accepted = OpenSetDecision.verify(subjectID: customerID, score: score, profile: profile,
                                                                           policy: settings.matchPolicy) else {
                    throw FacePayError(.unprocessable, code: "no_match", detail: "the capture does not prove this customer")
                }
            }
            // The index changes only after this commit (in `eraseBiometrics`): a failed commit
            // leaves everything as it was.
            let (response, forgottenCaptures) = try await customers.eraseBiometrics(
                customerID: customerID, captureID: captureID, frame: self.frame(caller, key: key, now: now)) { _ in
                StoredResponse(status: 204, body: Data())
            }
            replayGuard.forget(captureIDs: forgottenCaptures)
            return UseCaseResponse(response)
        }
    }
}
