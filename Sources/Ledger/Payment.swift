import FacePayCore
import Foundation

public enum CaptureMethod: String, Sendable, Codable, CaseIterable {
    /// Approve and post at once.
    case automatic
    /// Place a hold; the merchant captures (≤ held) or voids it, or it expires.
    case manual
}

/// Where a payment stands. The transfers are the truth; this is their summary per payment.
public enum PaymentStatus: String, Sendable, Codable, CaseIterable {
    /// Automatic capture: money posted to the merchant.
    case approved
    /// Manual capture: a hold is pending.
    case authorized
    /// The hold was captured (fully or in part).
    case captured
    /// The hold was voided by the merchant.
    case voided
    /// The hold lapsed.
    case expired
    /// Refused; `declineCode` says why. No money moved.
    case declined
}

/// A payment, summarising its transfers: what was held, captured and refunded.
public struct Payment: Sendable, Equatable, Codable {
    public let id: String
    public var status: PaymentStatus
    public let captureMethod: CaptureMethod
    /// The amount asked for.
    public let amountMinor: Int64
    public let currency: Currency
    public var heldMinor: Int64
    public var capturedMinor: Int64
    public var refundedMinor: Int64
    /// A wire decline code when `status == .declined`: a ledger code's raw value or one of the
    /// payments layer's (`liveness_failed`, `no_match`, …).
    public let declineCode: String?
    public let customerID: String?
    /// The customer's wallet, when one was identified.
    public let accountID: String?
    public let merchantID: String
    public let merchantAccountID: String?
    public let deviceID: String
    public let reference: String?
    public let holdTransferID: String?
    public let expiresAt: Date?
    public let createdAt: Date
    public var updatedAt: Date

    public init(id: String, status: PaymentStatus, captureMethod: CaptureMethod, amountMinor: Int64, currency: Currency,
                heldMinor: Int64 = 0, capturedMinor: Int64 = 0, refundedMinor: Int64 = 0, declineCode: String? = nil,
                customerID: String?, accountID: String?, merchantID: String, merchantAccountID: String?, deviceID: String,
                reference: String?, holdTransferID: String? = nil, expiresAt: Date? = nil, createdAt: Date, updatedAt: Date? = nil) {
        self.id = id
        self.status = status
        self.captureMethod = captureMethod
        self.amountMinor = amountMinor
        self.currency = currency
        self.heldMinor = heldMinor
        self.capturedMinor = capturedMinor
        self.refundedMinor = refundedMinor
        self.declineCode = declineCode
        self.customerID = customerID
        self.accountID = accountID
        self.merchantID = merchantID
        self.merchantAccountID = merchantAccountID
        self.deviceID = deviceID
        self.reference = reference
        self.holdTransferID = holdTransferID
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// What this payment counts against its wallet's daily limit: the captured amount once
    /// posted, the held amount while authorized, nothing once voided, expired or declined.
    /// Refunds do not give the limit back.
    public var dailySpendMinor: Int64 {
        switch status {
        case .approved, .captured: capturedMinor
        case .authorized: heldMinor
        case .voided, .expired, .declined: 0
        }
    }
}

/// A refund of (part of) a captured payment: money back from the merchant to the wallet.
public struct Refund: Sendable, Equatable, Codable {
    public let id: String
    public let paymentID: String
    public let amountMinor: Int64
    public let currency: Currency
    public let transferID: String
    public let deviceID: String?
    public let createdAt: Date

    public init(id: String, paymentID: String, amountMinor: Int64, currency: Currency, transferID: String,
                deviceID: String?, createdAt: Date) {
        self.id = id
        self.paymentID = paymentID
        self.amountMinor = amountMinor
        self.currency = currency
        self.transferID = transferID
        self.deviceID = deviceID
        self.createdAt = createdAt
    }
}

/// The UTC calendar day a daily limit counts over.
public enum UTCDay {
    public static func bounds(containing date: Date) -> (start: Date, end: Date) {
        let start = (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        return (Date(timeIntervalSince1970: start), Date(timeIntervalSince1970: start + 86_400))
    }
}
