import FacePayCore
import Foundation

/// What a transfer is for. `hold` is the only pending kind; `capture`, `void` and `expiry`
/// resolve one hold (they carry its id in `pendingID`) and each hold is resolved at most once.
public enum TransferKind: String, Sendable, Codable, CaseIterable {
    case deposit, payment, hold, capture, void, expiry, refund

    /// Resolves a pending hold (TigerBeetle's post/void pending transfer).
    public var resolvesHold: Bool {
        self == .capture || self == .void || self == .expiry
    }
}

/// An immutable movement of money from `debitAccountID` to `creditAccountID`. Never updated or
/// deleted; a mistake is corrected by a new transfer.
public struct Transfer: Sendable, Equatable, Codable {
    public let id: String
    public let kind: TransferKind
    public let debitAccountID: String
    public let creditAccountID: String
    public let amountMinor: Int64
    public let currency: Currency
    /// The hold a capture, void or expiry resolves.
    public let pendingID: String?
    /// When a hold lapses if nobody captures or voids it.
    public let expiresAt: Date?
    public let createdAt: Date
    public let paymentID: String?
    public let deviceID: String?
    public let merchantID: String?

    public init(id: String, kind: TransferKind, debitAccountID: String, creditAccountID: String, amountMinor: Int64,
                currency: Currency, pendingID: String? = nil, expiresAt: Date? = nil, createdAt: Date,
                paymentID: String? = nil, deviceID: String? = nil, merchantID: String? = nil) {
        self.id = id
        self.kind = kind
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amountMinor = amountMinor
        self.currency = currency
        self.pendingID = pendingID
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.paymentID = paymentID
        self.deviceID = deviceID
        self.merchantID = merchantID
    }
}

/// A hold together with what has happened to it, as the rules need to see it.
public struct HoldState: Sendable, Equatable {
    public let hold: Transfer
    /// The kind of the transfer that resolved the hold (`capture`, `void`, `expiry`), if any.
    public let resolution: TransferKind?

    public init(hold: Transfer, resolution: TransferKind?) {
        self.hold = hold
        self.resolution = resolution
    }
}
