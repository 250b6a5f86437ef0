import FacePayCore
import Foundation
import Ledger

/// The audit events the ledger's own rows are recorded with — what each one says is a rule, so it
/// is written once here and every store appends what these return (SQLite's `LedgerStore`,
/// `PostgresStores`). Actions: `account.created`, `deposit.posted`, `payment.<status>`,
/// `payment.declined`, `refund.posted` (LEDGER.md).
public enum LedgerEvents {
    public static let operatorActor = "operator"
    public static let systemActor = "system"

    public static func accountCreated(_ account: Account, actor: String) -> AuditEntry {
        AuditEntry(actor: actor, action: "account.created", subject: account.id, detail: [
            "kind": .string(account.kind.rawValue), "owner_id": .string(account.ownerID), "currency": .string(account.currency.code),
            "debits_must_not_exceed_credits": .bool(account.debitsMustNotExceedCredits),
            "payment_limit": .optional(account.paymentLimitMinor), "daily_limit": .optional(account.dailyLimitMinor),
        ])
    }

    public static func depositPosted(_ transfer: Transfer, into accountID: String, amount: Money, actor: String) -> AuditEntry {
        AuditEntry(actor: actor, action: "deposit.posted", subject: transfer.id, detail: [
            "account_id": .string(accountID), "amount": .integer(amount.amountMinor), "currency": .string(amount.currency.code),
            "transfer_id": .string(transfer.id),
        ])
    }

    /// The event of a matched payment the ledger accepted or declined (nil when it rejected it:
    /// nothing is recorded); `extra` is the payments layer's non-biometric facts.
    public static func paymentDecided(_ decision: PaymentDecision, _ request: PaymentRequest,
                                      extra: [String: CanonicalJSON]) -> AuditEntry? {
        var detail = paymentDetail(extra, amount: request.amount, captureMethod: request.captureMethod, accountID: request.walletAccountID,
                                   customerID: request.customerID, merchantID: request.merchantID, reference: request.reference)
        switch decision {
        case .accepted(let step):
            detail["transfer_id"] = .string(step.effect.transfer.id)
            detail["status"] = .string(step.payment.status.rawValue)
            if let expiresAt = step.payment.expiresAt { detail["expires_at"] = .string(Timestamp.text(expiresAt)) }
            return AuditEntry(actor: request.deviceID, action: "payment.\(step.payment.status.rawValue)", subject: step.payment.id, detail: detail)
        case .declined(let payment):
            detail["status"] = .string(PaymentStatus.declined.rawValue)
            detail["decline_code"] = .optional(payment.declineCode)
            return AuditEntry(actor: request.deviceID, action: "payment.declined", subject: payment.id, detail: detail)
        case .rejected:
            return nil
        }
    }

    /// The event of a payment declined before the ledger was asked.
    public static func declinedBeforeLedger(_ payment: Payment, extra: [String: CanonicalJSON]) -> AuditEntry {
        var detail = paymentDetail(extra, amount: Money(amountMinor: payment.amountMinor, currency: payment.currency),
                                   captureMethod: payment.captureMethod, accountID: payment.accountID, customerID: payment.customerID,
                                   merchantID: payment.merchantID, reference: payment.reference)
        detail["status"] = .string(PaymentStatus.declined.rawValue)
        detail["decline_code"] = .optional(payment.declineCode)
        return AuditEntry(actor: payment.deviceID, action: "payment.declined", subject: payment.id, detail: detail)
    }

    /// A capture, void or expiry of `held`.
    public static func holdResolved(_ step: PaymentStep, held: Transfer, actor: String) -> AuditEntry {
        AuditEntry(actor: actor, action: "payment.\(step.payment.status.rawValue)", subject: step.payment.id, detail: [
            "amount": .integer(step.effect.transfer.amountMinor), "currency": .string(held.currency.code),
            "amount_held": .integer(held.amountMinor), "transfer_id": .string(step.effect.transfer.id),
            "hold_transfer_id": .string(held.id), "account_id": .string(held.debitAccountID),
            "merchant_id": .optional(held.merchantID),
        ])
    }

    public static func refundPosted(_ step: PaymentStep, _ refund: Refund, actor: String) -> AuditEntry {
        AuditEntry(actor: actor, action: "refund.posted", subject: refund.id, detail: [
            "payment_id": .string(step.payment.id), "amount": .integer(refund.amountMinor), "currency": .string(refund.currency.code),
            "amount_refunded": .integer(step.payment.refundedMinor), "amount_captured": .integer(step.payment.capturedMinor),
            "transfer_id": .string(step.effect.transfer.id),
        ])
    }

    private static func paymentDetail(_ extra: [String: CanonicalJSON], amount: Money, captureMethod: CaptureMethod, accountID: String?,
                                      customerID: String?, merchantID: String, reference: String?) -> [String: CanonicalJSON] {
        var detail = extra
        detail["amount"] = .integer(amount.amountMinor)
        detail["currency"] = .string(amount.currency.code)
        detail["capture_method"] = .string(captureMethod.rawValue)
        detail["account_id"] = .optional(accountID)
        detail["customer_id"] = .optional(customerID)
        detail["merchant_id"] = .string(merchantID)
        detail["reference"] = .optional(reference)
        return detail
    }
}
