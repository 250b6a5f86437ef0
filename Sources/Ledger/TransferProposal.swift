import FacePayCore
import Foundation

/// A transfer someone asks for, before the rules have looked at it.
///
/// For `capture`, `void` and `expiry` the accounts and currency are the hold's (the caller
/// passes them from the hold); `amountMinor` is the captured amount (`nil` captures everything
/// held) and is ignored for `void` and `expiry`, which always release the whole hold.
public struct TransferProposal: Sendable, Equatable {
    public var id: String
    public var kind: TransferKind
    public var debitAccountID: String
    public var creditAccountID: String
    public var amountMinor: Int64?
    public var currency: Currency
    public var pendingID: String?
    public var expiresAt: Date?
    public var paymentID: String?
    public var deviceID: String?
    public var merchantID: String?

    public init(id: String, kind: TransferKind, debitAccountID: String, creditAccountID: String, amountMinor: Int64?,
                currency: Currency, pendingID: String? = nil, expiresAt: Date? = nil,
                paymentID: String? = nil, deviceID: String? = nil, merchantID: String? = nil) {
        self.id = id
        self.kind = kind
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amountMinor = amountMinor
        self.currency = currency
        self.pendingID = pendingID
        self.expiresAt = expiresAt
        self.paymentID = paymentID
        self.deviceID = deviceID
        self.merchantID = merchantID
    }

    /// A proposal resolving `hold` (capture, void or expiry), with the hold's accounts.
    public static func resolving(_ hold: Transfer, kind: TransferKind, id: String, amountMinor: Int64? = nil,
                                 deviceID: String? = nil) -> TransferProposal {
        precondition(kind.resolvesHold, "only capture, void and expiry resolve a hold")
        return TransferProposal(id: id, kind: kind, debitAccountID: hold.debitAccountID, creditAccountID: hold.creditAccountID,
                                amountMinor: amountMinor, currency: hold.currency, pendingID: hold.id,
                                paymentID: hold.paymentID, deviceID: deviceID, merchantID: hold.merchantID)
    }
}
