import FacePayCore
import Foundation
import Ledger
import Stores

/// Auditor response bodies (snake_case, money as integer minor units, times RFC 3339).
struct TransferWire: Encodable {
    let transferID: String
    let kind: String
    let debitAccountID: String
    let creditAccountID: String
    let amount: Int64
    let currency: String
    let pendingTransferID: String?
    let expiresAt: String?
    let paymentID: String?
    let deviceID: String?
    let merchantID: String?
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case kind, amount, currency
        case transferID = "transfer_id"
        case debitAccountID = "debit_account_id"
        case creditAccountID = "credit_account_id"
        case pendingTransferID = "pending_transfer_id"
        case expiresAt = "expires_at"
        case paymentID = "payment_id"
        case deviceID = "device_id"
        case merchantID = "merchant_id"
        case createdAt = "created_at"
    }

    init(_ transfer: Transfer) {
        transferID = transfer.id
        kind = transfer.kind.rawValue
        debitAccountID = transfer.debitAccountID
        creditAccountID = transfer.creditAccountID
        amount = transfer.amountMinor
        currency = transfer.currency.code
        pendingTransferID = transfer.pendingID
        expiresAt = transfer.expiresAt?.rfc3339
        paymentID = transfer.paymentID
        deviceID = transfer.deviceID
        merchantID = transfer.merchantID
        createdAt = transfer.createdAt.rfc3339
    }

    static let csvHeader = "transfer_id,kind,debit_account_id,credit_account_id,amount,currency,pending_transfer_id,expires_at,payment_id,device_id,merchant_id,created_at"

    /// One RFC 4180 line (fields quoted when they hold a comma, quote or line break).
    var csvLine: String {
        [transferID, kind, debitAccountID, creditAccountID, String(amount), currency, pendingTransferID ?? "",
         expiresAt ?? "", paymentID ?? "", deviceID ?? "", merchantID ?? "", createdAt].map(Self.csvField).joined(separator: ",")
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

struct TransferPageWire: Encodable {
    let transfers: [TransferWire]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case transfers
        case nextCursor = "next_cursor"
    }
}

struct AccountWire: Encodable {
    struct Balances: Encodable {
        let debitsPosted: Int64
        let debitsPending: Int64
        let creditsPosted: Int64
        let creditsPending: Int64
        let posted: Int64
        let available: Int64

        enum CodingKeys: String, CodingKey {
            case posted, available
            case debitsPosted = "debits_posted"
            case debitsPending = "debits_pending"
            case creditsPosted = "credits_posted"
            case creditsPending = "credits_pending"
        }
    }

    let accountID: String
    let kind: String
    let ownerID: String
    let currency: String
    let frozen: Bool
    let paymentLimit: Int64?
    let dailyLimit: Int64?
    let balances: Balances
    let createdAt: String

    enum CodingKeys: String, CodingKey {
        case kind, currency, frozen, balances
        case accountID = "account_id"
        case ownerID = "owner_id"
        case paymentLimit = "payment_limit"
        case dailyLimit = "daily_limit"
        case createdAt = "created_at"
    }

    init(_ account: Account) {
        accountID = account.id
        kind = account.kind.rawValue
        ownerID = account.ownerID
        currency = account.currency.code
        frozen = account.frozen
        paymentLimit = account.paymentLimitMinor
        dailyLimit = account.dailyLimitMinor
        balances = Balances(debitsPosted: account.debitsPosted, debitsPending: account.debitsPending,
                            creditsPosted: account.creditsPosted, creditsPending: account.creditsPending,
                            posted: account.postedBalanceMinor, available: account.availableMinor)
        createdAt = account.createdAt.rfc3339
    }
}

struct AuditEventWire: Encodable {
    let seq: Int64
    let eventID: String
    let time: String
    let actor: String
    let action: String
    let subject: String
    /// The canonical JSON text exactly as hashed, so an auditor can recompute the chain.
    let detail: String
    let prevHash: String
    let hash: String

    enum CodingKeys: String, CodingKey {
        case seq, time, actor, action, subject, detail, hash
        case eventID = "event_id"
        case prevHash = "prev_hash"
    }

    init(_ event: AuditEvent) {
        seq = event.seq
        eventID = event.eventID
        time = event.time
        actor = event.actor
        action = event.action
        subject = event.subject
        detail = event.detail
        prevHash = event.prevHash
        hash = event.hash
    }
}

struct AuditEventPageWire: Encodable {
    let events: [AuditEventWire]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case events
        case nextCursor = "next_cursor"
    }
}
