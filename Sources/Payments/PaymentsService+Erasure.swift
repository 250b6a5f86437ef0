import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import GRDB
import Liveness
import Storage

extension PaymentsService {
    /// `DELETE /v1/customers/{id}/biometrics` (kiosk), proven by a fresh live 1:1 capture of that
    /// customer. Every template row of the customer is deleted with `secure_delete` on, the WAL is
    /// checkpointed and truncated, and the customer leaves every in-memory index — at once. The
    /// account and its money stay. Audited.
    public func eraseBiometrics(customerID: String, caller: Caller) async throws -> UseCaseResponse {
        let key = try idempotencyKey(caller)
        if let stored = try storedResponse(caller, key: key) { return stored }
        let request = try WireBody.decode(ErasureBody.self, from: caller.body)
        guard let customer = try await database.pool.read({ db in try Customer.find(db, id: customerID) }) else {
            throw FacePayError(.notFound, code: "not_found", detail: "no customer \(customerID)")
        }
        let face = try await checkFace(request.face, caller: caller)
        let kioskID = caller.device.id
        let now = clock.now()
        switch face {
        case .notLive(let failed, let engaged):
            try await writer.submit { db in
                try AuditLog.append(db, actor: kioskID, action: "erasure.liveness_failed", subject: customerID,
                                    detail: Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil,
                                                                 templatesSearched: nil, model: request.face.model), now: now)
                try Self.auditLockout(db, deviceID: kioskID, engaged: engaged, now: now)
            }
            throw LivenessFailure(failedChecks: failed.map(\.rawValue))
        case .live(let probe, let profile):
            let alreadyErased = customer.biometricsErasedAt != nil
            if !alreadyErased {
                let index = try galleries.index(for: profile.id)
                let score = index.score(probe, subjectID: customerID)
                guard let score, case .accepted = OpenSetDecision.verify(subjectID: customerID, score: score, profile: profile,
                                                                           policy: settings.matchPolicy) else {
                    throw FacePayError(.unprocessable, code: "no_match", detail: "the capture does not prove this customer")
                }
            }
            // Out of the index first: from here on no search can match this customer.
            galleries.removeEverywhere(customerID: customerID)
            let response = try await commitIdempotently(caller, key: key) { db in
                let removed = try AppDatabase.deleteTemplates(db, customerID: customerID)
                try db.execute(sql: "UPDATE customers SET biometrics_erased_at = coalesce(biometrics_erased_at, ?) WHERE id = ?",
                               arguments: [now.rfc3339, customerID])
                try AuditLog.append(db, actor: kioskID, action: "customer.biometrics_erased", subject: customerID,
                                    detail: ["rows_deleted": .integer(Int64(removed))], now: now)
                return (204, Data())
            }
            try database.checkpointAndTruncateWAL()
            return response
        }
    }
}
