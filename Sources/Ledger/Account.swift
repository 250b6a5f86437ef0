import FacePayCore
import Foundation

public enum AccountKind: String, Sendable, Codable, CaseIterable {
    /// A customer's prepaid wallet: may never be overdrawn.
    case customerWallet = "customer_wallet"
    /// A merchant's receiving account.
    case merchant
    /// The system's source of deposited money, one per currency; its debits exceed its credits by
    /// exactly the money deposited into wallets, so the books balance.
    case systemFunding = "system_funding"
}

/// An account and its four counters, in minor units (TigerBeetle's account model).
///
/// Counters only change through transfers; `TransferRules` guarantees each stays in
/// `0...Int64.max` and that `debitsPending + debitsPosted` and `creditsPending + creditsPosted`
/// never overflow, so the balances below are always representable.
public struct Account: Sendable, Equatable, Codable {
    public let id: String
    public let kind: AccountKind
    /// Customer id for a wallet, merchant id for a merchant account, `system` for funding.
    public let ownerID: String
    public let currency: Currency
    public var debitsMustNotExceedCredits: Bool
    public var frozen: Bool
    public var debitsPending: Int64
    public var debitsPosted: Int64
    public var creditsPending: Int64
    public var creditsPosted: Int64
    /// Largest single payment or hold, if limited.
    public var paymentLimitMinor: Int64?
    /// Largest total of payments and holds per UTC day, if limited.
    public var dailyLimitMinor: Int64?
    public let createdAt: Date

    public init(id: String, kind: AccountKind, ownerID: String, currency: Currency,
                debitsMustNotExceedCredits: Bool? = nil, frozen: Bool = false,
                paymentLimitMinor: Int64? = nil, dailyLimitMinor: Int64? = nil, createdAt: Date,
                debitsPending: Int64 = 0, debitsPosted: Int64 = 0, creditsPending: Int64 = 0, creditsPosted: Int64 = 0) {
        self.id = id
        self.kind = kind
        self.ownerID = ownerID
        self.currency = currency
        // A wallet is never overdrawn unless a caller says otherwise explicitly.
        self.debitsMustNotExceedCredits = debitsMustNotExceedCredits ?? (kind == .customerWallet)
        self.frozen = frozen
        self.paymentLimitMinor = paymentLimitMinor
        self.dailyLimitMinor = dailyLimitMinor
        self.createdAt = createdAt
        self.debitsPending = debitsPending
        self.debitsPosted = debitsPosted
        self.creditsPending = creditsPending
        self.creditsPosted = creditsPosted
    }

    /// What the holder can still spend: posted credits less posted and pending debits (pending
    /// holds count against the balance).
    public var availableMinor: Int64 {
        creditsPosted - (debitsPosted + debitsPending)
    }

    /// Posted credits less posted debits (holds not subtracted).
    public var postedBalanceMinor: Int64 {
        creditsPosted - debitsPosted
    }
}
