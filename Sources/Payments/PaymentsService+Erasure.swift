import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import GRDB
import Liveness
import Storage
import Synchronization

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
        try database.erasureJournal.record(customerID: customerID, erasedAt: clock.now())
        guard try await database.checkpointAndTruncateWALUntilComplete(attemptsMax: settings.erasureCheckpointAttemptsMax) else {
            throw FacePayError(.unavailable, code: "erasure_incomplete",
                               detail: "the template is deleted but its pages are not yet overwritten on disk; retry with the same Idempotency-Key",
                               retryAfterSeconds: 1)
        }
        return response
    }

    private func eraseOnce(customerID: String, caller: Caller, key: String) async throws -> UseCaseResponse {
        let request = try WireBody.decode(ErasureBody.self, from: caller.body)
        guard let customer = try await database.pool.read({ db in try Customer.find(db, id: customerID) }) else {
            throw FacePayError(.notFound, code: "not_found", detail: "no customer \(customerID)")
        }
        let face = try await checkFace(request.face, caller: caller)
        let kioskID = caller.device.id
        let now = clock.now()
        switch face {
        case .notLive(let failed, let attempts):
            try await writer.submit { db in
                try AuditLog.append(db, actor: kioskID, action: "erasure.liveness_failed", subject: customerID,
                                    detail: Self.faceAuditDetail(failedChecks: failed, decision: nil, score: nil, margin: nil,
                                                                 templatesSearched: nil, model: request.face.model), now: now)
                try attempts.persist(db, actor: kioskID, now: now)
            }
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
            let forgottenCaptures = CaptureIDs()
            let response = try await commitIdempotently(caller, key: key) { db in
                let removed = try AppDatabase.deleteTemplates(db, customerID: customerID)
                // The replay codes of their captures, this one's included (attributed first so
                // that the delete takes it too).
                try SQLiteReplayGuardStore.attribute(db, captureID: captureID, customerID: customerID)
                forgottenCaptures.set(try SQLiteReplayGuardStore.deleteSightings(db, customerID: customerID))
                try db.execute(sql: "UPDATE customers SET biometrics_erased_at = coalesce(biometrics_erased_at, ?) WHERE id = ?",
                               arguments: [now.rfc3339, customerID])
                try AuditLog.append(db, actor: kioskID, action: "customer.biometrics_erased", subject: customerID,
                                    detail: ["rows_deleted": .integer(Int64(removed))], now: now)
                return (204, Data())
            }
            replayGuard.forget(captureIDs: forgottenCaptures.value.withLock { $0 })
            return response
        }
    }
}

/// The capture ids an erasure's transaction deleted, handed out of its closure.
private final class CaptureIDs: Sendable {
    let value = Mutex<Set<Int64>>([])

    func set(_ ids: Set<Int64>) { value.withLock { $0 = ids } }
}
