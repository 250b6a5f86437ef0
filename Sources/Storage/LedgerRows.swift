import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

/// Mapping between the ledger's values and their rows, with cached statements: this is the hot
/// path of every payment, so no Codable round trips and no statement is prepared twice.
enum LedgerRows {
    static let accountColumns = """
        id, kind, owner_id, currency, debits_must_not_exceed_credits, frozen, debits_pending, debits_posted, \
        credits_pending, credits_posted, payment_limit, daily_limit, created_at
        """
    static let transferColumns = """
        id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, expires_at, created_at, \
        payment_id, device_id, merchant_id, seq
        """
    static let paymentColumns = """
        id, status, decline_code, capture_method, amount, currency, amount_held, amount_captured, amount_refunded, \
        customer_id, account_id, merchant_id, merchant_account_id, device_id, reference, hold_transfer_id, expires_at, \
        created_at, updated_at
        """

    static func corrupt(_ what: String) -> FacePayError {
        FacePayError(.internalFailure, code: "ledger_corrupt", detail: what)
    }

    static func date(_ text: String, _ what: String) throws -> Date {
        guard let date = Timestamp.date(text) else { throw corrupt("\(what): bad time '\(text)'") }
        return date
    }

    static func currency(_ code: String, _ what: String) throws -> Currency {
        guard let currency = Currency(code) else { throw corrupt("\(what): bad currency '\(code)'") }
        return currency
    }

    // MARK: Accounts

    static func account(from row: Row) throws -> Account {
        let id: String = row[0]
        guard let kind = AccountKind(rawValue: row[1]) else { throw corrupt("account \(id): bad kind") }
        return Account(id: id, kind: kind, ownerID: row[2], currency: try currency(row[3], "account \(id)"),
                       debitsMustNotExceedCredits: row[4] as Bool, frozen: row[5],
                       paymentLimitMinor: row[10], dailyLimitMinor: row[11], createdAt: try date(row[12], "account \(id)"),
                       debitsPending: row[6], debitsPosted: row[7], creditsPending: row[8], creditsPosted: row[9])
    }

    static func account(from row: RawStatement) throws -> Account {
        let id = row.string(0)
        guard let kind = AccountKind(rawValue: row.string(1)) else { throw corrupt("account \(id): bad kind") }
        return Account(id: id, kind: kind, ownerID: row.string(2), currency: try currency(row.string(3), "account \(id)"),
                       debitsMustNotExceedCredits: row.bool(4), frozen: row.bool(5),
                       paymentLimitMinor: row.optionalInt64(10), dailyLimitMinor: row.optionalInt64(11),
                       createdAt: try date(row.string(12), "account \(id)"),
                       debitsPending: row.int64(6), debitsPosted: row.int64(7), creditsPending: row.int64(8),
                       creditsPosted: row.int64(9))
    }

    /// The first row of a bound query, decoded, or nil; leaves the statement reset.
    static func first<T>(_ statement: RawStatement, _ decode: (RawStatement) throws -> T) throws -> T? {
        defer { statement.reset() }
        return try statement.step() ? decode(statement) : nil
    }

    static func fetchAccount(_ db: Database, id: String) throws -> Account? {
        var statement = try RawStatement(db, "SELECT \(accountColumns) FROM accounts WHERE id = ?")
        statement.bind(id)
        return try first(statement, account(from:))
    }

    static func fetchAccount(_ db: Database, kind: AccountKind, ownerID: String, currency: Currency) throws -> Account? {
        var statement = try RawStatement(db, "SELECT \(accountColumns) FROM accounts WHERE owner_id = ? AND kind = ? AND currency = ?")
        statement.bind(ownerID)
        statement.bind(kind.rawValue)
        statement.bind(currency.code)
        return try first(statement, account(from:))
    }

    static func insert(_ account: Account, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO accounts (\(accountColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [
            account.id, account.kind.rawValue, account.ownerID, account.currency.code, account.debitsMustNotExceedCredits,
            account.frozen, account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted,
            account.paymentLimitMinor, account.dailyLimitMinor, Timestamp.text(account.createdAt),
        ])
    }

    /// Writes an account's counters after a transfer (only transfers change them).
    static func updateCounters(_ account: Account, _ db: Database) throws {
        var statement = try RawStatement(db, """
            UPDATE accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ?
            WHERE id = ?
            """)
        statement.bind(account.debitsPending)
        statement.bind(account.debitsPosted)
        statement.bind(account.creditsPending)
        statement.bind(account.creditsPosted)
        statement.bind(account.id)
        try statement.execute()
        precondition(db.changesCount == 1, "account \(account.id) vanished during a transfer")
    }

    // MARK: Transfers

    static func transfer(from row: Row) throws -> Transfer {
        let id: String = row[0]
        guard let kind = TransferKind(rawValue: row[1]) else { throw corrupt("transfer \(id): bad kind") }
        let expiresAt: String? = row[7]
        return Transfer(id: id, kind: kind, debitAccountID: row[2], creditAccountID: row[3], amountMinor: row[4],
                        currency: try currency(row[5], "transfer \(id)"), pendingID: row[6],
                        expiresAt: try expiresAt.map { try date($0, "transfer \(id)") },
                        createdAt: try date(row[8], "transfer \(id)"), paymentID: row[9], deviceID: row[10], merchantID: row[11])
    }

    static func transfer(from row: RawStatement) throws -> Transfer {
        let id = row.string(0)
        guard let kind = TransferKind(rawValue: row.string(1)) else { throw corrupt("transfer \(id): bad kind") }
        return Transfer(id: id, kind: kind, debitAccountID: row.string(2), creditAccountID: row.string(3), amountMinor: row.int64(4),
                        currency: try currency(row.string(5), "transfer \(id)"), pendingID: row.optionalString(6),
                        expiresAt: try row.optionalString(7).map { try date($0, "transfer \(id)") },
                        createdAt: try date(row.string(8), "transfer \(id)"), paymentID: row.optionalString(9),
                        deviceID: row.optionalString(10), merchantID: row.optionalString(11))
    }

    static func fetchTransfer(_ db: Database, id: String) throws -> Transfer? {
        var statement = try RawStatement(db, "SELECT \(transferColumns) FROM transfers WHERE id = ?")
        statement.bind(id)
        return try first(statement, transfer(from:))
    }

    /// A hold and what resolved it, if anything.
    static func fetchHoldState(_ db: Database, id: String?) throws -> HoldState? {
        guard let id, let hold = try fetchTransfer(db, id: id) else { return nil }
        var statement = try RawStatement(db, "SELECT kind FROM transfers WHERE pending_id = ?")
        statement.bind(id)
        let resolution = try first(statement) { TransferKind(rawValue: $0.string(0)) } ?? nil
        return HoldState(hold: hold, resolution: resolution)
    }

    static func insert(_ transfer: Transfer, _ db: Database) throws {
        var statement = try RawStatement(db, """
            INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id,
                                   expires_at, created_at, payment_id, device_id, merchant_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(transfer.id)
        statement.bind(transfer.kind.rawValue)
        statement.bind(transfer.debitAccountID)
        statement.bind(transfer.creditAccountID)
        statement.bind(transfer.amountMinor)
        statement.bind(transfer.currency.code)
        statement.bind(transfer.pendingID)
        statement.bind(transfer.expiresAt.map(Timestamp.text))
        statement.bind(Timestamp.text(transfer.createdAt))
        statement.bind(transfer.paymentID)
        statement.bind(transfer.deviceID)
        statement.bind(transfer.merchantID)
        try statement.execute()
    }

    /// Persists an accepted transfer: the immutable row and both accounts' counters.
    static func write(_ effect: TransferEffect, _ db: Database) throws {
        try insert(effect.transfer, db)
        try updateCounters(effect.debitAccount, db)
        try updateCounters(effect.creditAccount, db)
    }

    // MARK: Payments

    static func payment(from row: Row) throws -> Payment {
        let id: String = row[0]
        guard let status = PaymentStatus(rawValue: row[1]), let method = CaptureMethod(rawValue: row[3]) else {
            throw corrupt("payment \(id): bad status or capture method")
        }
        let expiresAt: String? = row[16]
        return Payment(id: id, status: status, captureMethod: method, amountMinor: row[4],
                       currency: try currency(row[5], "payment \(id)"), heldMinor: row[6], capturedMinor: row[7],
                       refundedMinor: row[8], declineCode: row[2], customerID: row[9], accountID: row[10],
                       merchantID: row[11], merchantAccountID: row[12], deviceID: row[13], reference: row[14],
                       holdTransferID: row[15], expiresAt: try expiresAt.map { try date($0, "payment \(id)") },
                       createdAt: try date(row[17], "payment \(id)"), updatedAt: try date(row[18], "payment \(id)"))
    }

    static func payment(from row: RawStatement) throws -> Payment {
        let id = row.string(0)
        guard let status = PaymentStatus(rawValue: row.string(1)), let method = CaptureMethod(rawValue: row.string(3)) else {
            throw corrupt("payment \(id): bad status or capture method")
        }
        return Payment(id: id, status: status, captureMethod: method, amountMinor: row.int64(4),
                       currency: try currency(row.string(5), "payment \(id)"), heldMinor: row.int64(6), capturedMinor: row.int64(7),
                       refundedMinor: row.int64(8), declineCode: row.optionalString(2), customerID: row.optionalString(9),
                       accountID: row.optionalString(10), merchantID: row.string(11), merchantAccountID: row.optionalString(12),
                       deviceID: row.string(13), reference: row.optionalString(14), holdTransferID: row.optionalString(15),
                       expiresAt: try row.optionalString(16).map { try date($0, "payment \(id)") },
                       createdAt: try date(row.string(17), "payment \(id)"), updatedAt: try date(row.string(18), "payment \(id)"))
    }

    static func fetchPayment(_ db: Database, id: String) throws -> Payment? {
        var statement = try RawStatement(db, "SELECT \(paymentColumns) FROM payments WHERE id = ?")
        statement.bind(id)
        return try first(statement, payment(from:))
    }

    static func insert(_ payment: Payment, _ db: Database) throws {
        var statement = try RawStatement(db, """
            INSERT INTO payments (\(paymentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(payment.id)
        statement.bind(payment.status.rawValue)
        statement.bind(payment.declineCode)
        statement.bind(payment.captureMethod.rawValue)
        statement.bind(payment.amountMinor)
        statement.bind(payment.currency.code)
        statement.bind(payment.heldMinor)
        statement.bind(payment.capturedMinor)
        statement.bind(payment.refundedMinor)
        statement.bind(payment.customerID)
        statement.bind(payment.accountID)
        statement.bind(payment.merchantID)
        statement.bind(payment.merchantAccountID)
        statement.bind(payment.deviceID)
        statement.bind(payment.reference)
        statement.bind(payment.holdTransferID)
        statement.bind(payment.expiresAt.map(Timestamp.text))
        statement.bind(Timestamp.text(payment.createdAt))
        statement.bind(Timestamp.text(payment.updatedAt))
        try statement.execute()
    }

    /// Writes what a capture, void, expiry or refund changes in a payment.
    static func updateProgress(_ payment: Payment, _ db: Database) throws {
        var statement = try RawStatement(db, """
            UPDATE payments SET status = ?, amount_captured = ?, amount_refunded = ?, updated_at = ? WHERE id = ?
            """)
        statement.bind(payment.status.rawValue)
        statement.bind(payment.capturedMinor)
        statement.bind(payment.refundedMinor)
        statement.bind(Timestamp.text(payment.updatedAt))
        statement.bind(payment.id)
        try statement.execute()
        precondition(db.changesCount == 1, "payment \(payment.id) vanished")
    }

    /// What the wallet has spent on the UTC day of `now`, by the rule of `Payment.dailySpendMinor`.
    /// Every payment that counts has a payment or hold transfer debiting the wallet with the
    /// payment's own `created_at`, so the wallet's transfer index finds them by time.
    static func spentToday(_ db: Database, accountID: String, now: Date) throws -> Int64 {
        let day = UTCDay.bounds(containing: now)
        var statement = try RawStatement(db, """
            SELECT coalesce(sum(CASE p.status WHEN 'authorized' THEN p.amount_held
                                              WHEN 'approved' THEN p.amount_captured
                                              WHEN 'captured' THEN p.amount_captured ELSE 0 END), 0)
            FROM transfers t JOIN payments p ON p.id = t.payment_id
            WHERE t.debit_account_id = ? AND t.created_at >= ? AND t.created_at < ? AND t.kind IN ('payment', 'hold')
            """)
        statement.bind(accountID)
        statement.bind(Timestamp.text(day.start))
        statement.bind(Timestamp.text(day.end))
        return try first(statement) { $0.int64(0) } ?? 0
    }

    static func insert(_ refund: Refund, _ db: Database) throws {
        var statement = try RawStatement(db, """
            INSERT INTO refunds (id, payment_id, amount, currency, transfer_id, device_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(refund.id)
        statement.bind(refund.paymentID)
        statement.bind(refund.amountMinor)
        statement.bind(refund.currency.code)
        statement.bind(refund.transferID)
        statement.bind(refund.deviceID)
        statement.bind(Timestamp.text(refund.createdAt))
        try statement.execute()
    }
}
