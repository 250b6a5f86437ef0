import FacePayCore
import Foundation
import GRDB
import Ledger
import Liveness
import Stores

/// The stores of the boundary (`Stores`) on one SQLite database: every unit of work is one
/// group-commit submission (one transaction, one fsync per batch), with its idempotency record.
/// Templates are sealed here, with the ring current inside the transaction that stores them.
public struct SQLiteStores: Sendable {
    public let database: AppDatabase
    public let writer: GroupCommitWriter
    public let keyRing: TemplateKeyRingSource

    public init(database: AppDatabase, writer: GroupCommitWriter, keyRing: TemplateKeyRingSource) {
        self.database = database
        self.writer = writer
        self.keyRing = keyRing
    }

    /// Runs `work` in a group-commit transaction under the frame's Idempotency-Key: the stored
    /// answer when the key was used before, otherwise the effects and the answer together.
    func idempotently(_ frame: IdempotencyFrame,
                      _ work: @escaping @Sendable (Database) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await writer.submit { db in
            try Idempotency.run(db, deviceID: frame.deviceID, key: frame.key, fingerprint: frame.fingerprint, now: frame.now) { db in
                let response = try work(db)
                return (response.status, response.body)
            }
        }
    }

    /// The failures and the audit events of the locks they engaged, in the decision's transaction.
    static func write(_ attempts: FailedAttempts, _ db: Database, now: Date) throws {
        try AttemptFailureLog.append(db, attempts.failures, at: now)
        for entry in attempts.audits { try append(entry, db, now: now) }
        if let horizon = attempts.pruneBefore { try AttemptFailureLog.prune(db, before: horizon) }
    }

    static func append(_ entry: AuditEntry, _ db: Database, now: Date) throws {
        try AuditLog.append(db, actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail, now: now)
    }
}

extension SQLiteStores: IdempotencyStore {
    /// One process serves a SQLite file: its in-flight set (`InFlightIdempotencyKeys`) decides.
    public func claim(deviceID: String, key: String, now: Date, leaseSeconds: Double) async throws -> IdempotencyClaim? {
        IdempotencyClaim(deviceID: deviceID, key: key, token: "")
    }

    public func release(_ claim: IdempotencyClaim) async {}

    public func storedResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) async throws -> IdempotentResponse? {
        try database.idempotentResponse(deviceID: deviceID, key: key, fingerprint: fingerprint)
    }
}

extension SQLiteStores: PaymentLedger {
    public func payment(id: String) async throws -> Payment? {
        try await database.pool.read { db in try LedgerStore.payment(db, id: id) }
    }

    public func recordDeclined(_ payment: DeclinedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
                               respond: @escaping @Sendable (Payment) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { db in
            let recorded = try LedgerStore.recordDeclinedPayment(
                db, paymentID: payment.paymentID, amount: payment.amount, captureMethod: payment.captureMethod,
                declineCode: payment.declineCode, merchantID: payment.merchantID, deviceID: payment.deviceID,
                reference: payment.reference, auditDetail: payment.auditDetail, now: frame.now)
            try Self.write(attempts, db, now: frame.now)
            return try respond(recorded)
        }
    }

    public func pay(_ payment: MatchedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
                    respond: @escaping @Sendable (PaymentDecision, Customer) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { db in
            guard let customer = try Customer.find(db, id: payment.customerID) else {
                throw FacePayError(.internalFailure, code: "gallery_out_of_sync", detail: "matched customer \(payment.customerID) has no row")
            }
            let request = PaymentRequest(
                paymentID: payment.paymentID, amount: payment.amount, captureMethod: payment.captureMethod,
                customerID: customer.id, walletAccountID: customer.accountID, merchantID: payment.merchantID,
                deviceID: payment.deviceID, reference: payment.reference, holdExpiresAt: payment.holdExpiresAt)
            // Whatever the ledger says, the capture was this customer's: erasing them forgets it.
            if let captureID = payment.template.captureID {
                try SQLiteReplayGuardStore.attribute(db, captureID: captureID, customerID: customer.id)
            }
            let decision = try LedgerStore.pay(db, request, auditDetail: payment.auditDetail, now: frame.now)
            if case .accepted = decision {
                try AppDatabase.touchTemplate(db, customerID: customer.id, model: payment.template.modelID, now: frame.now)
            }
            try Self.write(attempts, db, now: frame.now)
            return try respond(decision, customer)
        }
    }

    public func change(_ change: PaymentChange, paymentID: String, frame: IdempotencyFrame,
                       respond: @escaping @Sendable (LedgerOutcome<PaymentStep>, Customer?) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { db in
            let outcome: LedgerOutcome<PaymentStep>
            switch change {
            case .capture(let amount):
                outcome = try LedgerStore.capture(db, paymentID: paymentID, amountMinor: amount, deviceID: frame.deviceID, now: frame.now)
            case .void:
                outcome = try LedgerStore.void(db, paymentID: paymentID, deviceID: frame.deviceID, now: frame.now)
            case .refund(let amount):
                guard let payment = try LedgerStore.payment(db, id: paymentID) else {
                    outcome = .rejected(.paymentNotFound)
                    break
                }
                let amount = amount ?? (payment.capturedMinor - payment.refundedMinor)
                outcome = amount > 0
                    ? try LedgerStore.refund(db, paymentID: paymentID, amountMinor: amount, deviceID: frame.deviceID, now: frame.now)
                    : .rejected(.paymentNotRefundable)
            }
            let customerID: String? = if case .accepted(let step) = outcome { step.payment.customerID } else { nil }
            return try respond(outcome, try customerID.flatMap { try Customer.find(db, id: $0) })
        }
    }

    public func deposit(_ deposit: WalletDeposit, frame: IdempotencyFrame,
                        admit: @escaping @Sendable (Customer?, Int64) throws -> Void,
                        respond: @escaping @Sendable (Customer, LedgerOutcome<Transfer>, Int64) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { db in
            let customer = try Customer.find(db, id: deposit.customerID)
            let deposited = try customer.map { try LedgerStore.depositedMinor(db, accountID: $0.accountID, since: deposit.depositsCountedSince) } ?? 0
            try admit(customer, deposited)
            guard let customer else { throw FacePayError(.notFound, code: "not_found", detail: "no customer \(deposit.customerID)") }
            let outcome = try LedgerStore.deposit(db, accountID: customer.accountID, amount: deposit.amount, deviceID: frame.deviceID,
                                                  actor: frame.deviceID, now: frame.now)
            let balance = try LedgerStore.account(db, id: customer.accountID)?.availableMinor ?? 0
            return try respond(customer, outcome, balance)
        }
    }
}

extension SQLiteStores {
    /// The replay memory on this database. Its projection is secret (its codes must not be
    /// computable by whoever reads the table) and the same on every restart: derived from the
    /// template key ring.
    public func replayGuard(settings: LivenessSettings) -> SQLiteReplayGuardStore {
        let coder = ReplayCoder(secret: keyRing.ring.derivedSecret(label: "facepay-replay-projection-v1"))
        return SQLiteReplayGuardStore(database: database, writer: writer, settings: settings, coder: coder)
    }

    public var challenges: SQLiteChallengeStore { SQLiteChallengeStore(database: database, writer: writer) }
}

/// The templates of one SQLite database, opened with a key ring that follows its key file.
public struct SQLiteTemplateSource: TemplateSource {
    public let database: AppDatabase
    public let keyRing: TemplateKeyRingSource

    public init(database: AppDatabase, keyRing: TemplateKeyRingSource) {
        self.database = database
        self.keyRing = keyRing
    }

    /// A row naming a key id the ring lacks makes the ring re-read its key file once (a
    /// `keys rotate` may have re-sealed it after the ring was read).
    public func loadTemplates(model: String, progress: (Int, Int) -> Void) throws -> TemplateLoad {
        let load = try database.loadTemplates(model: model, keyRing: keyRing.ring, progress: progress)
        guard load.undecryptable.contains(where: { !keyRing.ring.hasKey(id: $0.keyID) }), keyRing.reloadIfChanged() else { return load }
        return try database.loadTemplates(model: model, keyRing: keyRing.ring, progress: progress)
    }
}
