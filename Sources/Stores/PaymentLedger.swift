import FacePayCore
import Foundation
import Ledger

/// A payment declined before the ledger was asked (`liveness_failed`, `no_match`,
/// `ambiguous_match`, `hint_required`).
public struct DeclinedPayment: Sendable {
    public let paymentID: String
    public let amount: Money
    public let captureMethod: CaptureMethod
    public let declineCode: String
    public let merchantID: String
    public let deviceID: String
    public let reference: String?
    /// The face decision's non-biometric facts, added to the `payment.declined` event.
    public let auditDetail: [String: CanonicalJSON]

    public init(paymentID: String, amount: Money, captureMethod: CaptureMethod, declineCode: String, merchantID: String,
                deviceID: String, reference: String?, auditDetail: [String: CanonicalJSON]) {
        self.paymentID = paymentID
        self.amount = amount
        self.captureMethod = captureMethod
        self.declineCode = declineCode
        self.merchantID = merchantID
        self.deviceID = deviceID
        self.reference = reference
        self.auditDetail = auditDetail
    }
}

/// A payment whose face matched a customer: the ledger decides it from that customer's wallet.
public struct MatchedPayment: Sendable {
    public let paymentID: String
    public let amount: Money
    public let captureMethod: CaptureMethod
    public let customerID: String
    public let merchantID: String
    public let deviceID: String
    public let reference: String?
    public let holdExpiresAt: Date?
    public let auditDetail: [String: CanonicalJSON]
    /// The matched template (its last use is recorded when the payment is accepted) and the
    /// capture whose replay codes become this customer's.
    public let template: TemplateUse

    public init(paymentID: String, amount: Money, captureMethod: CaptureMethod, customerID: String, merchantID: String,
                deviceID: String, reference: String?, holdExpiresAt: Date?, auditDetail: [String: CanonicalJSON],
                template: TemplateUse) {
        precondition(template.customerID == customerID, "the matched template is the paying customer's")
        self.paymentID = paymentID
        self.amount = amount
        self.captureMethod = captureMethod
        self.customerID = customerID
        self.merchantID = merchantID
        self.deviceID = deviceID
        self.reference = reference
        self.holdExpiresAt = holdExpiresAt
        self.auditDetail = auditDetail
        self.template = template
    }
}

/// A change to an existing payment: capture (part of) its hold, void it, or refund (part of) it.
public enum PaymentChange: Sendable, Equatable {
    /// nil: the whole hold.
    case capture(amountMinor: Int64?)
    case void
    /// nil: everything captured and not yet refunded (`paymentNotRefundable` when that is nothing).
    case refund(amountMinor: Int64?)
}

/// A deposit into a customer's wallet, with the time from which the day's deposits count
/// (the caps are the use case's rule, checked inside the transaction).
public struct WalletDeposit: Sendable {
    public let customerID: String
    public let amount: Money
    public let depositsCountedSince: Date

    public init(customerID: String, amount: Money, depositsCountedSince: Date) {
        self.customerID = customerID
        self.amount = amount
        self.depositsCountedSince = depositsCountedSince
    }
}

/// The ledger's units of work. Each commits its money movement, its audit events, the failed
/// attempts it carries and its idempotency record as one durable transaction, or nothing.
///
/// `respond` turns the unit's outcome into the bytes stored under the Idempotency-Key; it runs
/// inside the transaction, and when it throws (a ledger refusal the use case answers as an
/// error) nothing is written and nothing is stored, so a retry runs again. When the frame's key
/// was already used with the same request, the stored answer comes back (`replayed`) and nothing
/// runs.
public protocol PaymentLedger: Sendable {
    func payment(id: String) async throws -> Payment?

    func recordDeclined(_ payment: DeclinedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
                        respond: @escaping @Sendable (Payment) throws -> StoredResponse) async throws -> IdempotentResponse

    /// Pays from the matched customer's wallet (500 `gallery_out_of_sync` when the customer has
    /// no row). `.rejected` writes nothing of its own; `respond` decides what it answers.
    func pay(_ payment: MatchedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
             respond: @escaping @Sendable (PaymentDecision, Customer) throws -> StoredResponse) async throws -> IdempotentResponse

    /// Capture, void or refund; `respond` also gets the payment's customer, if any.
    func change(_ change: PaymentChange, paymentID: String, frame: IdempotencyFrame,
                respond: @escaping @Sendable (LedgerOutcome<PaymentStep>, Customer?) throws -> StoredResponse) async throws -> IdempotentResponse

    /// A deposit: `admit` sees the customer (nil when there is none) and what their wallet took
    /// since `depositsCountedSince`, and throws to refuse; `respond` gets the outcome and the
    /// wallet's available balance after it.
    func deposit(_ deposit: WalletDeposit, frame: IdempotencyFrame,
                 admit: @escaping @Sendable (Customer?, _ depositedMinor: Int64) throws -> Void,
                 respond: @escaping @Sendable (Customer, LedgerOutcome<Transfer>, _ balanceMinor: Int64) throws -> StoredResponse) async throws -> IdempotentResponse
}
