import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

extension LedgerStore {
    /// Pays from a wallet to the merchant's account in the payment's currency (opened on the
    /// merchant's first payment in that currency): automatic capture posts at once, manual places
    /// a hold until `holdExpiresAt` (default now + 7 days).
    ///
    /// `.accepted` and `.declined` are recorded (payment row + audit event `payment.approved`,
    /// `payment.authorized` or `payment.declined`); `.rejected` writes nothing. `auditDetail`
    /// adds the payments layer's non-biometric facts (liveness passed, match decision) to the
    /// same audit event.
    public static func pay(_ db: Database, _ request: PaymentRequest, auditDetail: [String: CanonicalJSON] = [:],
                           now: Date) throws -> PaymentDecision {
        let now = Timestamp.truncated(now)
        var request = request
        if request.captureMethod == .manual {
            request.holdExpiresAt = Timestamp.truncated(request.holdExpiresAt ?? now.addingTimeInterval(PaymentRules.holdDurationSecondsDefault))
        }
        let wallet = try LedgerRows.fetchAccount(db, id: request.walletAccountID)
        let spentToday = try wallet?.dailyLimitMinor == nil ? 0 : LedgerRows.spentToday(db, accountID: request.walletAccountID, now: now)
        let transferID = LedgerIdentifier.make(.transfer, now: now)
        var merchantAccount = try LedgerRows.fetchAccount(db, kind: .merchant, ownerID: request.merchantID,
                                                          currency: request.amount.currency)
        if merchantAccount == nil {
            // Decide against a provisional account first, so a rejected payment opens nothing.
            let provisional = Account(id: "acc_provisional", kind: .merchant, ownerID: request.merchantID,
                                      currency: request.amount.currency, createdAt: now)
            if case .rejected(let code) = PaymentRules.pay(request, wallet: wallet, merchantAccount: provisional,
                                                           spentTodayMinor: spentToday, transferID: transferID, now: now) {
                return .rejected(code)
            }
            merchantAccount = try createAccount(db, kind: .merchant, ownerID: request.merchantID,
                                                currency: request.amount.currency, actor: systemActor, now: now)
        }
        let decision = PaymentRules.pay(request, wallet: wallet, merchantAccount: merchantAccount,
                                        spentTodayMinor: spentToday, transferID: transferID, now: now)
        switch decision {
        case .accepted(let step):
            try LedgerRows.write(step.effect, db)
            try LedgerRows.insert(step.payment, db)
        case .declined(let payment):
            try LedgerRows.insert(payment, db)
        case .rejected:
            break
        }
        if let event = LedgerEvents.paymentDecided(decision, request, extra: auditDetail) { try AuditLog.append(db, event, now: now) }
        return decision
    }

    /// Records a payment declined before the ledger was asked (`liveness_failed`, `no_match`,
    /// `ambiguous_match`, `hint_required`): the payment row and its `payment.declined` event.
    @discardableResult
    public static func recordDeclinedPayment(_ db: Database, paymentID: String, amount: Money, captureMethod: CaptureMethod,
                                             declineCode: String, customerID: String? = nil, accountID: String? = nil,
                                             merchantID: String, deviceID: String, reference: String? = nil,
                                             auditDetail: [String: CanonicalJSON] = [:], now: Date) throws -> Payment {
        let now = Timestamp.truncated(now)
        precondition(amount.amountMinor > 0, "the use case validates the amount")
        let payment = Payment(id: paymentID, status: .declined, captureMethod: captureMethod, amountMinor: amount.amountMinor,
                              currency: amount.currency, declineCode: declineCode, customerID: customerID, accountID: accountID,
                              merchantID: merchantID, merchantAccountID: nil, deviceID: deviceID, reference: reference,
                              createdAt: now)
        try LedgerRows.insert(payment, db)
        try AuditLog.append(db, LedgerEvents.declinedBeforeLedger(payment, extra: auditDetail), now: now)
        return payment
    }

    /// Captures `amountMinor` (nil: all) of an authorized payment's hold; the remainder goes back
    /// to the wallet.
    public static func capture(_ db: Database, paymentID: String, amountMinor: Int64?, deviceID: String?,
                               now: Date) throws -> LedgerOutcome<PaymentStep> {
        try resolveHold(db, paymentID: paymentID, kind: .capture, amountMinor: amountMinor, deviceID: deviceID, now: now)
    }

    /// Releases an authorized payment's hold.
    public static func void(_ db: Database, paymentID: String, deviceID: String?, now: Date) throws -> LedgerOutcome<PaymentStep> {
        try resolveHold(db, paymentID: paymentID, kind: .void, amountMinor: nil, deviceID: deviceID, now: now)
    }

    private static func resolveHold(_ db: Database, paymentID: String, kind: TransferKind, amountMinor: Int64?,
                                    deviceID: String?, now: Date) throws -> LedgerOutcome<PaymentStep> {
        let now = Timestamp.truncated(now)
        let payment = try LedgerRows.fetchPayment(db, id: paymentID)
        let hold = try LedgerRows.fetchHoldState(db, id: payment?.holdTransferID)
        let wallet = try payment?.accountID.flatMap { try LedgerRows.fetchAccount(db, id: $0) }
        let merchantAccount = try payment?.merchantAccountID.flatMap { try LedgerRows.fetchAccount(db, id: $0) }
        let transferID = LedgerIdentifier.make(.transfer, now: now)
        let outcome: LedgerOutcome<PaymentStep>
        switch kind {
        case .capture:
            outcome = PaymentRules.capture(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                                           amountMinor: amountMinor, transferID: transferID, deviceID: deviceID, now: now)
        case .void:
            outcome = PaymentRules.void(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                                        transferID: transferID, deviceID: deviceID, now: now)
        default:
            outcome = PaymentRules.expire(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                                          transferID: transferID, now: now)
        }
        guard case .accepted(let step) = outcome else { return outcome }
        try LedgerRows.write(step.effect, db)
        try LedgerRows.updateProgress(step.payment, db)
        try AuditLog.append(db, LedgerEvents.holdResolved(step, held: hold!.hold, actor: deviceID ?? (kind == .expiry ? systemActor : operatorActor)),
                            now: now)
        return outcome
    }

    /// Posts an expiry for up to `limit` authorized payments whose hold is due at `now`; returns
    /// the ids of the payments expired (fewer than `limit` means none is left due).
    public static func expireDueHolds(_ db: Database, now: Date, limit: Int) throws -> [String] {
        precondition(limit > 0, "limit must be positive")
        let now = Timestamp.truncated(now)
        let due = try String.fetchAll(db, sql: """
            SELECT id FROM payments WHERE status = 'authorized' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?
            """, arguments: [Timestamp.text(now), limit])
        for paymentID in due {
            let outcome = try resolveHold(db, paymentID: paymentID, kind: .expiry, amountMinor: nil, deviceID: nil, now: now)
            if let code = outcome.resultCode {
                // An authorized payment whose hold cannot expire means payment and transfers disagree.
                throw LedgerRows.corrupt("payment \(paymentID) is authorized and due but its hold cannot expire: \(code)")
            }
        }
        return due
    }

    /// Refunds `amountMinor` of a captured payment to the wallet it came from.
    public static func refund(_ db: Database, paymentID: String, amountMinor: Int64, deviceID: String?,
                              now: Date) throws -> LedgerOutcome<PaymentStep> {
        let now = Timestamp.truncated(now)
        let payment = try LedgerRows.fetchPayment(db, id: paymentID)
        let wallet = try payment?.accountID.flatMap { try LedgerRows.fetchAccount(db, id: $0) }
        let merchantAccount = try payment?.merchantAccountID.flatMap { try LedgerRows.fetchAccount(db, id: $0) }
        let outcome = PaymentRules.refund(payment, wallet: wallet, merchantAccount: merchantAccount, amountMinor: amountMinor,
                                          refundID: LedgerIdentifier.make(.refund, now: now), transferID: LedgerIdentifier.make(.transfer, now: now),
                                          deviceID: deviceID, now: now)
        guard case .accepted(let step) = outcome, let refund = step.refund else { return outcome }
        try LedgerRows.write(step.effect, db)
        try LedgerRows.insert(refund, db)
        try LedgerRows.updateProgress(step.payment, db)
        try AuditLog.append(db, LedgerEvents.refundPosted(step, refund, actor: deviceID ?? operatorActor), now: now)
        return outcome
    }
}
