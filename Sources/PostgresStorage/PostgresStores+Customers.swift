import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores
import Synchronization

/// Customers and their sealed templates on PostgreSQL. Each enrolment, erasure and purge also
/// appends to `gallery_changes` in its own transaction, the log every node follows to keep its
/// in-memory gallery in step (SCALING.md).
extension PostgresStores: CustomerStore {
    public func customer(id: String) async throws -> Customer? {
        try await database.read { connection in try await PostgresRows.customer(connection, id: id) }
    }

    public func enrol(_ enrolment: NewEnrolment, frame: IdempotencyFrame,
                      respond: @escaping @Sendable (Account, LedgerOutcome<Transfer>?) throws -> StoredResponse) async throws -> IdempotentResponse {
        let keyRing = keyRing
        return try await idempotently(frame) { transaction in
            let connection = transaction.connection
            let now = Timestamp.truncated(frame.now)
            let account = try await Self.createAccount(transaction, kind: .customerWallet, ownerID: enrolment.customerID,
                                                       currency: enrolment.initialDeposit.currency, actor: enrolment.kioskID, now: now)
            let customer = Customer(id: enrolment.customerID, fullName: enrolment.fullName, phoneE164: enrolment.phoneE164,
                                    accountID: account.id, consentVersion: enrolment.consentVersion, consentKioskID: enrolment.kioskID, now: now)
            try await PostgresRows.execute(connection, """
                INSERT INTO customers (\(unescaped: PostgresRows.customerColumns))
                VALUES (\(customer.id), \(customer.fullName), \(customer.displayName), \(customer.phoneE164), \(customer.phoneLast4),
                        \(customer.accountID), \(customer.consentVersion), \(customer.consentAcceptedAt), \(customer.consentKioskID),
                        \(customer.createdAt), \(customer.biometricsErasedAt))
                """)
            // The ring is asked inside the transaction that stores the row (see TemplateKeyRingSource).
            let (keyID, sealed) = try keyRing.sealingRing().seal(enrolment.template, customerID: enrolment.customerID, model: enrolment.modelID)
            try await PostgresRows.execute(connection, """
                INSERT INTO face_templates (customer_id, model, key_id, sealed, created_at, last_used_at)
                VALUES (\(enrolment.customerID), \(enrolment.modelID), \(keyID), \(sealed.bytea), \(now.rfc3339), \(now.rfc3339))
                """)
            try await PostgresReplayGuardStore.attribute(connection, captureID: enrolment.captureID, customerID: enrolment.customerID)
            try await transaction.append(actor: enrolment.kioskID, action: "customer.enrolled", subject: enrolment.customerID, detail: [
                "account_id": .string(account.id), "consent_version": .string(enrolment.consentVersion), "model": .string(enrolment.modelID),
            ], now: now)
            try await Self.recordGalleryChange(connection, .enrolled, customerID: enrolment.customerID, model: enrolment.modelID, now: now)
            let deposit = enrolment.initialDeposit.amountMinor > 0
                ? try await Self.deposit(transaction, accountID: account.id, amount: enrolment.initialDeposit, deviceID: enrolment.kioskID,
                                         actor: enrolment.kioskID, now: now)
                : nil
            return try respond(account, deposit)
        }
    }

    public func eraseBiometrics(customerID: String, captureID: Int64, frame: IdempotencyFrame,
                                respond: @escaping @Sendable (Int) throws -> StoredResponse) async throws
        -> (response: IdempotentResponse, forgottenCaptures: Set<Int64>) {
        let forgotten = ForgottenCaptures()
        let response = try await idempotently(frame) { transaction in
            try await PostgresReplayGuardStore.attribute(transaction.connection, captureID: captureID, customerID: customerID)
            let (removed, forgottenIDs) = try await Self.deleteBiometrics(transaction, customerID: customerID, erasedAt: frame.now, now: frame.now) {
                AuditEntry(actor: frame.deviceID, action: "customer.biometrics_erased", subject: customerID,
                           detail: ["rows_deleted": .integer(Int64($0))])
            }
            forgotten.set(Set(forgottenIDs))
            return try respond(removed)
        }
        return (response, response.replayed ? [] : forgotten.value)
    }

    /// Deletes a customer's templates and replay sightings, marks the erasure (the first time
    /// is kept), appends the event made from the number of templates deleted, and the `erased`
    /// gallery change naming the forgotten captures. Returns the templates deleted and the
    /// capture ids forgotten.
    static func deleteBiometrics(_ transaction: PostgresChainTransaction, customerID: String, erasedAt: Date, now: Date,
                                 event: (_ removed: Int) -> AuditEntry) async throws -> (removed: Int, forgottenCaptures: [Int64]) {
        let connection = transaction.connection
        let removed = try await PostgresRows.all(connection, "DELETE FROM face_templates WHERE customer_id = \(customerID) RETURNING model") {
            try $0["model"].decode(String.self)
        }.count
        let forgotten = try await PostgresRows.all(connection, "DELETE FROM replay_sightings WHERE customer_id = \(customerID) RETURNING capture_id") {
            try $0["capture_id"].decode(Int64.self)
        }.sorted()
        try await PostgresRows.execute(connection, """
            UPDATE customers SET biometrics_erased_at = coalesce(biometrics_erased_at, \(erasedAt.rfc3339)) WHERE id = \(customerID)
            """)
        try await transaction.append(event(removed), now: now)
        // The change carries the erasure's time: followers journal it (a re-applied erasure keeps its first time).
        try await recordGalleryChange(connection, .erased, customerID: customerID, model: nil, now: erasedAt, forgottenCaptures: forgotten)
        return (removed, forgotten)
    }

    /// The erasure is journaled on this node (`ErasureJournal`: it outlives the restore of an
    /// older backup) and is final once its rows are vacuumed (dead tuples no longer hold the
    /// sealed bytes).
    public func completeErasure(customerID: String, erasedAt: Date, attemptsMax: Int) async throws -> Bool {
        try erasureJournal?.record(customerID: customerID, erasedAt: erasedAt)
        try await compactAfterDeletion()
        return true
    }

    public func recordFaceAttempt(_ audit: AuditEntry?, attempts: FailedAttempts, used: TemplateUse?, now: Date) async throws {
        try await chainWrite { transaction in
            let connection = transaction.connection
            if let used {
                try await Self.touchTemplate(connection, customerID: used.customerID, model: used.modelID, now: now)
                if let captureID = used.captureID {
                    try await PostgresReplayGuardStore.attribute(connection, captureID: captureID, customerID: used.customerID)
                }
            }
            try await self.write(attempts, transaction, now: now)
            if let audit { try await transaction.append(audit, now: now) }
        }
    }

    public func customersWithTemplatesUnused(since cutoff: Date, limit: Int) async throws -> [String] {
        try await database.read { connection in
            try await PostgresRows.all(connection, """
                SELECT customer_id FROM face_templates WHERE last_used_at < \(cutoff.rfc3339)
                GROUP BY customer_id ORDER BY min(last_used_at), customer_id LIMIT \(Int64(limit))
                """) { try $0["customer_id"].decode(String.self) }
        }
    }

    public func purgeTemplates(of customerIDs: [String], unusedSince cutoff: Date, now: Date) async throws {
        let cutoffText = cutoff.rfc3339
        try await chainWrite { transaction in
            let connection = transaction.connection
            for customerID in customerIDs {
                try await PostgresRows.execute(connection, "DELETE FROM face_templates WHERE customer_id = \(customerID) AND last_used_at < \(cutoffText)")
            }
            for customerID in customerIDs {
                try await transaction.append(actor: "system", action: "customer.template_purged", subject: customerID,
                                             detail: ["reason": .string("retention"), "unused_since_before": .string(cutoffText)], now: now)
                try await Self.recordGalleryChange(connection, .purged, customerID: customerID, model: nil, now: now)
            }
        }
    }

    public func compactAfterDeletion() async throws {
        try await database.read { connection in
            try await PostgresRows.execute(connection, "VACUUM face_templates, replay_sightings")
        }
    }

    enum GalleryChange: String { case enrolled, erased, purged, rekeyed }

    /// In a chain transaction (it holds the chain head), so change seqs are in commit order.
    /// `forgottenCaptures`: the replay sightings an erasure deleted, which the other nodes drop
    /// from their in-memory replay index when they follow the change.
    static func recordGalleryChange(_ connection: PostgresConnection, _ kind: GalleryChange, customerID: String?, model: String?,
                                    now: Date, forgottenCaptures: [Int64] = []) async throws {
        try await PostgresRows.execute(connection, """
            INSERT INTO gallery_changes (kind, customer_id, model, at, forgotten_captures)
            VALUES (\(kind.rawValue), \(customerID), \(model), \(Timestamp.text(now)), \(forgottenCaptures))
            """)
        // Delivered at commit, to every node listening (they also poll: a notification sent while
        // a node was not listening is lost).
        try await PostgresRows.execute(connection, "SELECT pg_notify('facepay_gallery', '')")
    }
}

/// The capture ids an erasure's transaction deleted, handed out of its closure.
private final class ForgottenCaptures: Sendable {
    private let ids = Mutex<Set<Int64>>([])

    func set(_ value: Set<Int64>) { ids.withLock { $0 = value } }
    var value: Set<Int64> { ids.withLock { $0 } }
}
