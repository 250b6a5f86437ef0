import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores
import Synchronization

extension SQLiteStores: CustomerStore {
    public func customer(id: String) async throws -> Customer? {
        try await database.pool.read { db in try Customer.find(db, id: id) }
    }

    public func enrol(_ enrolment: NewEnrolment, frame: IdempotencyFrame,
                      respond: @escaping @Sendable (Account, LedgerOutcome<Transfer>?) throws -> StoredResponse) async throws -> IdempotentResponse {
        let keyRing = keyRing
        return try await idempotently(frame) { db in
            let now = frame.now
            let account = try LedgerStore.createAccount(db, kind: .customerWallet, ownerID: enrolment.customerID,
                                                        currency: enrolment.initialDeposit.currency, actor: enrolment.kioskID, now: now)
            try Customer(id: enrolment.customerID, fullName: enrolment.fullName, phoneE164: enrolment.phoneE164, accountID: account.id,
                         consentVersion: enrolment.consentVersion, consentKioskID: enrolment.kioskID, now: now).insert(db)
            // The ring is asked here, inside the transaction that stores the row, so a `keys rotate`
            // that wrote the key file before this transaction began is always seen (see TemplateKeyRingSource).
            try AppDatabase.saveTemplate(db, values: enrolment.template, customerID: enrolment.customerID, model: enrolment.modelID,
                                         keyRing: keyRing.sealingRing(), now: now)
            try SQLiteReplayGuardStore.attribute(db, captureID: enrolment.captureID, customerID: enrolment.customerID)
            try AuditLog.append(db, actor: enrolment.kioskID, action: "customer.enrolled", subject: enrolment.customerID, detail: [
                "account_id": .string(account.id), "consent_version": .string(enrolment.consentVersion), "model": .string(enrolment.modelID),
            ], now: now)
            let deposit = enrolment.initialDeposit.amountMinor > 0
                ? try LedgerStore.deposit(db, accountID: account.id, amount: enrolment.initialDeposit, deviceID: enrolment.kioskID,
                                          actor: enrolment.kioskID, now: now)
                : nil
            return try respond(account, deposit)
        }
    }

    public func eraseBiometrics(customerID: String, captureID: Int64, frame: IdempotencyFrame,
                                respond: @escaping @Sendable (Int) throws -> StoredResponse) async throws
        -> (response: IdempotentResponse, forgottenCaptures: Set<Int64>) {
        let forgotten = ForgottenCaptures()
        let response = try await idempotently(frame) { db in
            let removed = try AppDatabase.deleteTemplates(db, customerID: customerID)
            // The replay codes of their captures, this one's included (attributed first so that
            // the delete takes it too).
            try SQLiteReplayGuardStore.attribute(db, captureID: captureID, customerID: customerID)
            forgotten.set(try SQLiteReplayGuardStore.deleteSightings(db, customerID: customerID))
            try db.execute(sql: "UPDATE customers SET biometrics_erased_at = coalesce(biometrics_erased_at, ?) WHERE id = ?",
                           arguments: [frame.now.rfc3339, customerID])
            try AuditLog.append(db, actor: frame.deviceID, action: "customer.biometrics_erased", subject: customerID,
                                detail: ["rows_deleted": .integer(Int64(removed))], now: frame.now)
            return try respond(removed)
        }
        return (response, response.replayed ? [] : forgotten.value)
    }

    public func completeErasure(customerID: String, erasedAt: Date, attemptsMax: Int) async throws -> Bool {
        try database.erasureJournal.record(customerID: customerID, erasedAt: erasedAt)
        return try await database.checkpointAndTruncateWALUntilComplete(attemptsMax: attemptsMax)
    }

    public func recordFaceAttempt(_ audit: AuditEntry?, attempts: FailedAttempts, used: TemplateUse?, now: Date) async throws {
        try await writer.submit { db in
            if let audit { try Self.append(audit, db, now: now) }
            try Self.write(attempts, db, now: now)
            if let used {
                try AppDatabase.touchTemplate(db, customerID: used.customerID, model: used.modelID, now: now)
                if let captureID = used.captureID { try SQLiteReplayGuardStore.attribute(db, captureID: captureID, customerID: used.customerID) }
            }
        }
    }

    public func customersWithTemplatesUnused(since cutoff: Date, limit: Int) async throws -> [String] {
        try database.customersWithTemplatesUnused(since: cutoff, limit: limit)
    }

    public func purgeTemplates(of customerIDs: [String], unusedSince cutoff: Date, now: Date) async throws {
        let cutoffText = cutoff.rfc3339
        try await writer.submit { db in
            for customerID in customerIDs {
                try db.execute(sql: "DELETE FROM face_templates WHERE customer_id = ? AND last_used_at < ?", arguments: [customerID, cutoffText])
                try AuditLog.append(db, actor: "system", action: "customer.template_purged", subject: customerID,
                                    detail: ["reason": .string("retention"), "unused_since_before": .string(cutoffText)], now: now)
            }
        }
    }

    public func compactAfterDeletion() async throws {
        _ = try database.checkpointAndTruncateWAL()
    }
}

/// The capture ids an erasure's transaction deleted, handed out of its closure.
private final class ForgottenCaptures: Sendable {
    private let ids = Mutex<Set<Int64>>([])

    func set(_ value: Set<Int64>) { ids.withLock { $0 = value } }
    var value: Set<Int64> { ids.withLock { $0 } }
}
