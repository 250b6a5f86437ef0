import FacePayCore
import Foundation

/// A payment as the payments layer asks for it, once it knows whose wallet pays.
public struct PaymentRequest: Sendable, Equatable {
    public var paymentID: String
    public var amount: Money
    public var captureMethod: CaptureMethod
    public var customerID: String?
    public var walletAccountID: String
    public var merchantID: String
    public var deviceID: String
    public var reference: String?
    /// When the hold of a manual-capture payment lapses (required for `.manual`).
    public var holdExpiresAt: Date?

    public init(paymentID: String, amount: Money, captureMethod: CaptureMethod = .automatic, customerID: String?,
                walletAccountID: String, merchantID: String, deviceID: String, reference: String? = nil,
                holdExpiresAt: Date? = nil) {
        self.paymentID = paymentID
        self.amount = amount
        self.captureMethod = captureMethod
        self.customerID = customerID
        self.walletAccountID = walletAccountID
        self.merchantID = merchantID
        self.deviceID = deviceID
        self.reference = reference
        self.holdExpiresAt = holdExpiresAt
    }
}

/// An accepted payment-level step: the payment as it is after, the transfer that moved the
/// money, and the refund record when the step was a refund.
public struct PaymentStep: Sendable, Equatable {
    public let payment: Payment
    public let effect: TransferEffect
    public let refund: Refund?

    public init(payment: Payment, effect: TransferEffect, refund: Refund? = nil) {
        self.payment = payment
        self.effect = effect
        self.refund = refund
    }
}

/// What became of a payment request.
public enum PaymentDecision: Sendable, Equatable {
    /// Approved (automatic capture, money posted) or authorized (manual, hold placed).
    case accepted(PaymentStep)
    /// Refused for a wire decline code (`LedgerResultCode.isPaymentDecline`): the payment is
    /// recorded with status `declined`, no money moved.
    case declined(Payment)
    /// Refused for a request error (unknown account, bad amount, overflow): nothing is recorded.
    case rejected(LedgerResultCode)
}

/// The payment state machine on top of `TransferRules`: pay (automatic capture) or authorize,
/// then capture ≤ held, void or expire, and refund up to what was captured. Pure.
public enum PaymentRules {
    /// Default life of a manual-capture hold (SPEC: 7 days; `PaymentRequest.holdExpiresAt` and
    /// `facepay serve --hold-seconds` set another).
    public static let holdDurationSecondsDefault: TimeInterval = 7 * 86_400

    public static func pay(_ request: PaymentRequest, wallet: Account?, merchantAccount: Account?,
                           spentTodayMinor: Int64, transferID: String, now: Date) -> PaymentDecision {
        let manual = request.captureMethod == .manual
        let proposal = TransferProposal(
            id: transferID, kind: manual ? .hold : .payment,
            debitAccountID: request.walletAccountID, creditAccountID: merchantAccount?.id ?? "",
            amountMinor: request.amount.amountMinor, currency: request.amount.currency,
            expiresAt: manual ? request.holdExpiresAt : nil, paymentID: request.paymentID,
            deviceID: request.deviceID, merchantID: request.merchantID)
        let outcome = TransferRules.decide(proposal, debit: wallet, credit: merchantAccount, hold: nil,
                                           spentTodayMinor: spentTodayMinor, now: now)
        switch outcome {
        case .accepted(let effect):
            let amount = request.amount.amountMinor
            let payment = Payment(
                id: request.paymentID, status: manual ? .authorized : .approved, captureMethod: request.captureMethod,
                amountMinor: amount, currency: request.amount.currency,
                heldMinor: manual ? amount : 0, capturedMinor: manual ? 0 : amount,
                customerID: request.customerID, accountID: request.walletAccountID, merchantID: request.merchantID,
                merchantAccountID: merchantAccount?.id, deviceID: request.deviceID, reference: request.reference,
                holdTransferID: manual ? transferID : nil, expiresAt: manual ? request.holdExpiresAt : nil, createdAt: now)
            return .accepted(PaymentStep(payment: payment, effect: effect))
        case .rejected(let code) where code.isPaymentDecline:
            let payment = Payment(
                id: request.paymentID, status: .declined, captureMethod: request.captureMethod,
                amountMinor: request.amount.amountMinor, currency: request.amount.currency, declineCode: code.rawValue,
                customerID: request.customerID, accountID: request.walletAccountID, merchantID: request.merchantID,
                merchantAccountID: merchantAccount?.id, deviceID: request.deviceID, reference: request.reference,
                createdAt: now)
            return .declined(payment)
        case .rejected(let code):
            return .rejected(code)
        }
    }

    /// Captures `amountMinor` (nil: all) of an authorized payment's hold; the rest is released.
    public static func capture(_ payment: Payment?, hold: HoldState?, wallet: Account?, merchantAccount: Account?,
                               amountMinor: Int64?, transferID: String, deviceID: String?, now: Date) -> LedgerOutcome<PaymentStep> {
        resolve(payment, kind: .capture, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                amountMinor: amountMinor, transferID: transferID, deviceID: deviceID, now: now)
    }

    /// Releases an authorized payment's hold at the merchant's request.
    public static func void(_ payment: Payment?, hold: HoldState?, wallet: Account?, merchantAccount: Account?,
                            transferID: String, deviceID: String?, now: Date) -> LedgerOutcome<PaymentStep> {
        resolve(payment, kind: .void, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                amountMinor: nil, transferID: transferID, deviceID: deviceID, now: now)
    }

    /// Releases a hold past its expiry (the hold-expiry service).
    public static func expire(_ payment: Payment?, hold: HoldState?, wallet: Account?, merchantAccount: Account?,
                              transferID: String, now: Date) -> LedgerOutcome<PaymentStep> {
        resolve(payment, kind: .expiry, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                amountMinor: nil, transferID: transferID, deviceID: nil, now: now)
    }

    private static func resolve(_ payment: Payment?, kind: TransferKind, hold: HoldState?, wallet: Account?,
                                merchantAccount: Account?, amountMinor: Int64?, transferID: String,
                                deviceID: String?, now: Date) -> LedgerOutcome<PaymentStep> {
        if kind == .capture, let amountMinor, amountMinor <= 0 { return .rejected(.amountMustBePositive) }
        guard let payment else { return .rejected(.paymentNotFound) }
        guard let holdID = payment.holdTransferID, let hold, hold.hold.id == holdID else {
            return .rejected(.pendingTransferNotFound)
        }
        let proposal = TransferProposal.resolving(hold.hold, kind: kind, id: transferID, amountMinor: amountMinor,
                                                  deviceID: deviceID)
        switch TransferRules.decide(proposal, debit: wallet, credit: merchantAccount, hold: hold, now: now) {
        case .rejected(let code):
            return .rejected(code)
        case .accepted(let effect):
            var updated = payment
            switch kind {
            case .capture:
                updated.status = .captured
                updated.capturedMinor = effect.transfer.amountMinor
            case .void:
                updated.status = .voided
            default:
                updated.status = .expired
            }
            updated.updatedAt = now
            return .accepted(PaymentStep(payment: updated, effect: effect))
        }
    }

    /// Refunds part or all of what was captured: a posted transfer from the merchant account back
    /// to the wallet. The total refunded never exceeds the total captured.
    public static func refund(_ payment: Payment?, wallet: Account?, merchantAccount: Account?, amountMinor: Int64,
                              refundID: String, transferID: String, deviceID: String?, now: Date) -> LedgerOutcome<PaymentStep> {
        if amountMinor <= 0 { return .rejected(.amountMustBePositive) }
        guard let payment else { return .rejected(.paymentNotFound) }
        guard payment.status == .approved || payment.status == .captured,
              let walletID = payment.accountID, let merchantAccountID = payment.merchantAccountID
        else { return .rejected(.paymentNotRefundable) }

        let proposal = TransferProposal(
            id: transferID, kind: .refund, debitAccountID: merchantAccountID, creditAccountID: walletID,
            amountMinor: amountMinor, currency: payment.currency, paymentID: payment.id, deviceID: deviceID,
            merchantID: payment.merchantID)
        let outcome = TransferRules.decide(proposal, debit: merchantAccount, credit: wallet, hold: nil, now: now)
        // The refundable amount is checked apart from the transfer rules; the reported code is
        // the higher-precedence of the two, so precedence holds whichever failed first.
        let (total, overflowed) = payment.refundedMinor.addingReportingOverflow(amountMinor)
        let exceeds = overflowed || total > payment.capturedMinor
        switch outcome {
        case .rejected(let code):
            return .rejected(exceeds ? min(code, .refundExceedsCaptured) : code)
        case .accepted(let effect):
            if exceeds { return .rejected(.refundExceedsCaptured) }
            var updated = payment
            updated.refundedMinor = total
            updated.updatedAt = now
            let refund = Refund(id: refundID, paymentID: payment.id, amountMinor: amountMinor, currency: payment.currency,
                                transferID: transferID, deviceID: deviceID, createdAt: now)
            return .accepted(PaymentStep(payment: updated, effect: effect, refund: refund))
        }
    }

    /// Money into a wallet from the system funding account of its currency.
    public static func deposit(into wallet: Account?, from funding: Account?, amount: Money, transferID: String,
                               deviceID: String?, now: Date) -> LedgerOutcome<TransferEffect> {
        let proposal = TransferProposal(id: transferID, kind: .deposit, debitAccountID: funding?.id ?? "",
                                        creditAccountID: wallet?.id ?? "", amountMinor: amount.amountMinor,
                                        currency: amount.currency, deviceID: deviceID)
        return TransferRules.decide(proposal, debit: funding, credit: wallet, hold: nil, now: now)
    }
}
