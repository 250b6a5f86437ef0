import Foundation
import Ledger

/// Filters of `GET /v1/ledger/transfers`; all optional, combined with AND.
public struct TransferQuery: Sendable, Equatable {
    /// Transfers debiting or crediting this account.
    public var accountID: String?
    public var merchantID: String?
    public var deviceID: String?
    public var paymentID: String?
    /// created_at ≥ since.
    public var since: Date?
    /// created_at < until.
    public var until: Date?
    /// The previous page's `nextCursor`: the page continues after it in the page's order.
    public var afterSeq: Int64?
    public var limit: Int
    /// Newest first (the console's default): descending seq, the cursor continuing below.
    public var newestFirst: Bool

    public init(accountID: String? = nil, merchantID: String? = nil, deviceID: String? = nil, paymentID: String? = nil,
                since: Date? = nil, until: Date? = nil, afterSeq: Int64? = nil, limit: Int = 100, newestFirst: Bool = false) {
        self.accountID = accountID
        self.merchantID = merchantID
        self.deviceID = deviceID
        self.paymentID = paymentID
        self.since = since
        self.until = until
        self.afterSeq = afterSeq
        self.limit = limit
        self.newestFirst = newestFirst
    }
}

public struct TransferPage: Sendable, Equatable {
    public let transfers: [Transfer]
    /// Pass as `afterSeq` for the next page; nil on the last page.
    public let nextCursor: Int64?

    public init(transfers: [Transfer], nextCursor: Int64?) {
        self.transfers = transfers
        self.nextCursor = nextCursor
    }
}
