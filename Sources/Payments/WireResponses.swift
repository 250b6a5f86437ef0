import FacePayCore
import Foundation
import Ledger

/// Response bodies of the v1 wire contract. Scores are rounded to 4 decimals; no biometric value
/// and no raw liveness score ever appears here.
public struct ChallengeResponse: Encodable, Sendable {
    public let challengeID: String
    public let actions: [String]
    public let expiresAt: String

    enum CodingKeys: String, CodingKey {
        case challengeID = "challenge_id"
        case actions
        case expiresAt = "expires_at"
    }
}

public struct CustomerSummary: Encodable, Sendable, Equatable {
    public let id: String
    public let displayName: String

    enum CodingKeys: String, CodingKey {
        case id
        case displayName = "display_name"
    }
}

public struct LivenessSummary: Encodable, Sendable, Equatable {
    public let passed: Bool
    public let failedChecks: [String]?

    enum CodingKeys: String, CodingKey {
        case passed
        case failedChecks = "failed_checks"
    }
}

public struct MatchSummary: Encodable, Sendable, Equatable {
    public let score: Double
    public let margin: Double

    public init(score: Float, margin: Float) {
        self.score = (Double(score) * 10_000).rounded() / 10_000
        self.margin = (Double(margin) * 10_000).rounded() / 10_000
    }
}

public struct PaymentResponse: Encodable, Sendable {
    public let paymentID: String
    public let status: String
    public let amount: Int64
    public let currency: String
    public let amountCapturable: Int64
    public let amountCaptured: Int64
    public let amountRefunded: Int64
    public let captureMethod: String
    public let declineCode: String?
    public let customer: CustomerSummary?
    public let liveness: LivenessSummary?
    public let match: MatchSummary?
    public let reference: String?
    public let expiresAt: String?
    public let merchantID: String
    public let deviceID: String
    public let createdAt: String

    enum CodingKeys: String, CodingKey {
        case status, amount, currency, customer, liveness, match, reference
        case paymentID = "payment_id"
        case amountCapturable = "amount_capturable"
        case amountCaptured = "amount_captured"
        case amountRefunded = "amount_refunded"
        case captureMethod = "capture_method"
        case declineCode = "decline_code"
        case expiresAt = "expires_at"
        case merchantID = "merchant_id"
        case deviceID = "device_id"
        case createdAt = "created_at"
    }

    public init(_ payment: Payment, customer: CustomerSummary?, liveness: LivenessSummary?, match: MatchSummary?) {
        paymentID = payment.id
        status = payment.status.rawValue
        amount = payment.amountMinor
        currency = payment.currency.code
        amountCapturable = payment.heldMinor
        amountCaptured = payment.capturedMinor
        amountRefunded = payment.refundedMinor
        captureMethod = payment.captureMethod.rawValue
        declineCode = payment.declineCode
        self.customer = customer
        self.liveness = liveness
        self.match = match
        reference = payment.reference
        expiresAt = payment.status == .authorized ? payment.expiresAt?.rfc3339 : nil
        merchantID = payment.merchantID
        deviceID = payment.deviceID
        createdAt = payment.createdAt.rfc3339
    }
}

public struct RefundResponse: Encodable, Sendable {
    public let refundID: String
    public let paymentID: String
    public let amount: Int64
    public let currency: String
    public let status: String
    public let transferID: String
    public let deviceID: String?
    public let createdAt: String

    enum CodingKeys: String, CodingKey {
        case amount, currency, status
        case refundID = "refund_id"
        case paymentID = "payment_id"
        case transferID = "transfer_id"
        case deviceID = "device_id"
        case createdAt = "created_at"
    }

    public init(_ refund: Refund) {
        refundID = refund.id
        paymentID = refund.paymentID
        amount = refund.amountMinor
        currency = refund.currency.code
        status = "succeeded"
        transferID = refund.transferID
        deviceID = refund.deviceID
        createdAt = refund.createdAt.rfc3339
    }
}

public struct VerificationResponse: Encodable, Sendable {
    public let verified: Bool
    public let failureCode: String?
    public let customer: CustomerSummary?
    public let match: MatchSummary?
    public let liveness: LivenessSummary

    enum CodingKeys: String, CodingKey {
        case verified, customer, match, liveness
        case failureCode = "failure_code"
    }
}

public struct EnrolmentResponse: Encodable, Sendable {
    public let customerID: String
    public let accountID: String
    public let currency: String
    public let balance: Int64

    enum CodingKeys: String, CodingKey {
        case currency, balance
        case customerID = "customer_id"
        case accountID = "account_id"
    }
}

public struct DepositResponse: Encodable, Sendable {
    public let transferID: String
    public let customerID: String
    public let accountID: String
    public let amount: Int64
    public let currency: String
    public let balance: Int64
    public let createdAt: String

    enum CodingKeys: String, CodingKey {
        case amount, currency, balance
        case transferID = "transfer_id"
        case customerID = "customer_id"
        case accountID = "account_id"
        case createdAt = "created_at"
    }
}
