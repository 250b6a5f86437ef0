import FacePayCore
import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO
import Stores

/// Mapping between the ledger's values and their PostgreSQL rows (the same columns as SQLite's,
/// LedgerRows there), and the writes a transfer makes. Every function runs on the connection of a
/// transaction its caller owns.
enum PostgresRows {
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
    static let customerColumns = """
        id, full_name, display_name, phone_e164, phone_last4, account_id, consent_version, consent_accepted_at, \
        consent_kiosk_id, created_at, biometrics_erased_at
        """
    static let logger = Logger(label: "facepay.postgres.rows")

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

    /// The rows of a query, decoded one by one.
    static func all<T>(_ connection: PostgresConnection, _ query: PostgresQuery,
                       _ decode: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var values: [T] = []
        for try await row in try await connection.query(query, logger: logger) {
            values.append(try decode(row.makeRandomAccess()))
        }
        return values
    }

    static func first<T>(_ connection: PostgresConnection, _ query: PostgresQuery,
                         _ decode: (PostgresRandomAccessRow) throws -> T) async throws -> T? {
        try await all(connection, query, decode).first
    }

    /// Runs a statement whose rows are not wanted (drained, so the statement completes).
    static func execute(_ connection: PostgresConnection, _ query: PostgresQuery) async throws {
        let rows = try await connection.query(query, logger: logger)
        for try await _ in rows {}
    }

    // MARK: Accounts

    static func account(_ row: PostgresRandomAccessRow) throws -> Account {
        let id = try row["id"].decode(String.self)
        guard let kind = AccountKind(rawValue: try row["kind"].decode(String.self)) else { throw corrupt("account \(id): bad kind") }
        return Account(id: id, kind: kind, ownerID: try row["owner_id"].decode(String.self),
                       currency: try currency(try row["currency"].decode(String.self), "account \(id)"),
                       debitsMustNotExceedCredits: try row["debits_must_not_exceed_credits"].decode(Bool.self),
                       frozen: try row["frozen"].decode(Bool.self),
                       paymentLimitMinor: try row["payment_limit"].decode(Int64?.self),
                       dailyLimitMinor: try row["daily_limit"].decode(Int64?.self),
                       createdAt: try date(try row["created_at"].decode(String.self), "account \(id)"),
                       debitsPending: try row["debits_pending"].decode(Int64.self), debitsPosted: try row["debits_posted"].decode(Int64.self),
                       creditsPending: try row["credits_pending"].decode(Int64.self), creditsPosted: try row["credits_posted"].decode(Int64.self))
    }

    static func account(_ connection: PostgresConnection, id: String, locked: Bool = false) async throws -> Account? {
        try await first(connection, PostgresQuery(unsafeSQL: "SELECT \(accountColumns) FROM accounts WHERE id = $1\(locked ? " FOR UPDATE" : "")",
                                                  binds: binds(id)), account)
    }

    static func account(_ connection: PostgresConnection, kind: AccountKind, ownerID: String, currency: Currency) async throws -> Account? {
        try await first(connection, PostgresQuery(unsafeSQL: "SELECT \(accountColumns) FROM accounts WHERE owner_id = $1 AND kind = $2 AND currency = $3",
                                                  binds: binds(ownerID, kind.rawValue, currency.code)), account)
    }

    /// Locks the accounts a transfer touches, in id order (so two transfers over the same
    /// accounts never wait for each other in opposite orders), and returns them by id.
    static func lockAccounts(_ connection: PostgresConnection, ids: [String]) async throws -> [String: Account] {
        let ids = Array(Set(ids)).sorted()
        guard !ids.isEmpty else { return [:] }
        let accounts = try await all(connection, PostgresQuery(
            unsafeSQL: "SELECT \(accountColumns) FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", binds: binds(ids)), account)
        return Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0) })
    }

    /// Wallets and the merchants' accounts of the currencies (absent until a merchant's first
    /// payment), in one statement, locked in id order like `lockAccounts`: a batch's payments, or
    /// one payment's two accounts.
    static func lockAccounts(_ connection: PostgresConnection, walletIDs: [String], merchants: [(ownerID: String, currency: String)])
        async throws -> [String: Account] {
        accountsByID(try await all(connection, lockAccountsQuery(wallets: .ids(walletIDs), merchants: merchants), account))
    }

    /// Whose wallets a statement names: by account id, or as the wallets of these customers (so
    /// that it need not wait for the customers' rows).
    enum Wallets {
        case ids([String])
        case ofCustomers([String])

        /// A condition on `column` with the ids as `$1`.
        func condition(_ column: String) -> String {
            switch self {
            case .ids: "\(column) = ANY($1)"
            case .ofCustomers: "\(column) IN (SELECT account_id FROM customers WHERE id = ANY($1))"
            }
        }

        var ids: [String] {
            switch self {
            case .ids(let ids), .ofCustomers(let ids): Array(Set(ids)).sorted()
            }
        }
    }

    static func lockAccountsQuery(wallets: Wallets, merchants: [(ownerID: String, currency: String)]) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            SELECT \(accountColumns) FROM accounts
            WHERE \(wallets.condition("id")) OR (kind = 'merchant' AND (owner_id, currency) IN (SELECT * FROM unnest($2::TEXT[], $3::TEXT[])))
            ORDER BY id FOR UPDATE
            """, binds: binds(wallets.ids, merchants.map(\.ownerID), merchants.map(\.currency)))
    }

    static func accountsByID(_ accounts: [Account]) -> [String: Account] {
        Dictionary(accounts.map { ($0.id, $0) }) { first, _ in first }
    }

    static func lockPaymentAccounts(_ connection: PostgresConnection, walletID: String, merchantID: String,
                                    currency: Currency) async throws -> (wallet: Account?, merchant: Account?) {
        let accounts = try await lockAccounts(connection, walletIDs: [walletID], merchants: [(merchantID, currency.code)])
        return (accounts[walletID],
                accounts.values.first { $0.kind == .merchant && $0.ownerID == merchantID && $0.currency == currency })
    }

    /// Matched templates' last use, keyed "customer|model", share-locked until the commit (absent:
    /// erased or purged). A payment re-checks its template this way: an erasure runs in a chain
    /// transaction, before the payment's or after it, so a face erased anywhere never pays after.
    static func shareLockTemplates(_ connection: PostgresConnection, _ pairs: [(customerID: String, model: String)]) async throws -> [String: String] {
        Dictionary(try await all(connection, shareLockTemplatesQuery(pairs), templateUse)) { first, _ in first }
    }

    static func shareLockTemplatesQuery(_ pairs: [(customerID: String, model: String)]) -> PostgresQuery {
        """
        SELECT customer_id, model, last_used_at FROM face_templates
        WHERE (customer_id, model) IN (SELECT * FROM unnest(\(pairs.map(\.customerID))::TEXT[], \(pairs.map(\.model))::TEXT[]))
        ORDER BY customer_id, model FOR SHARE
        """
    }

    /// A row of `shareLockTemplatesQuery`: "customer|model" and its last use.
    static func templateUse(_ row: PostgresRandomAccessRow) throws -> (String, String) {
        (try row["customer_id"].decode(String.self) + "|" + row["model"].decode(String.self), try row["last_used_at"].decode(String.self))
    }

    static func insert(_ account: Account, _ connection: PostgresConnection) async throws {
        try await execute(connection, """
            INSERT INTO accounts (\(unescaped: accountColumns)) VALUES (\(account.id), \(account.kind.rawValue), \(account.ownerID),
                \(account.currency.code), \(account.debitsMustNotExceedCredits), \(account.frozen), \(account.debitsPending),
                \(account.debitsPosted), \(account.creditsPending), \(account.creditsPosted), \(account.paymentLimitMinor),
                \(account.dailyLimitMinor), \(Timestamp.text(account.createdAt)))
            """)
    }

    // MARK: Transfers

    static func transfer(_ row: PostgresRandomAccessRow) throws -> Transfer {
        let id = try row["id"].decode(String.self)
        guard let kind = TransferKind(rawValue: try row["kind"].decode(String.self)) else { throw corrupt("transfer \(id): bad kind") }
        return Transfer(id: id, kind: kind, debitAccountID: try row["debit_account_id"].decode(String.self),
                        creditAccountID: try row["credit_account_id"].decode(String.self), amountMinor: try row["amount"].decode(Int64.self),
                        currency: try currency(try row["currency"].decode(String.self), "transfer \(id)"),
                        pendingID: try row["pending_id"].decode(String?.self),
                        expiresAt: try row["expires_at"].decode(String?.self).map { try date($0, "transfer \(id)") },
                        createdAt: try date(try row["created_at"].decode(String.self), "transfer \(id)"),
                        paymentID: try row["payment_id"].decode(String?.self), deviceID: try row["device_id"].decode(String?.self),
                        merchantID: try row["merchant_id"].decode(String?.self))
    }

    static func transfer(_ connection: PostgresConnection, id: String) async throws -> Transfer? {
        try await first(connection, PostgresQuery(unsafeSQL: "SELECT \(transferColumns) FROM transfers WHERE id = $1", binds: binds(id)), transfer)
    }

    static func holdState(_ connection: PostgresConnection, id: String?) async throws -> HoldState? {
        guard let id, let hold = try await transfer(connection, id: id) else { return nil }
        let resolution = try await first(connection, "SELECT kind FROM transfers WHERE pending_id = \(id)") {
            TransferKind(rawValue: try $0["kind"].decode(String.self))
        } ?? nil
        return HoldState(hold: hold, resolution: resolution)
    }

    static func insert(_ transfer: Transfer, _ connection: PostgresConnection) async throws {
        try await execute(connection, """
            INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, expires_at,
                                   created_at, payment_id, device_id, merchant_id)
            VALUES (\(transfer.id), \(transfer.kind.rawValue), \(transfer.debitAccountID), \(transfer.creditAccountID),
                    \(transfer.amountMinor), \(transfer.currency.code), \(transfer.pendingID), \(transfer.expiresAt.map(Timestamp.text)),
                    \(Timestamp.text(transfer.createdAt)), \(transfer.paymentID), \(transfer.deviceID), \(transfer.merchantID))
            """)
    }

    /// The transfer and both accounts' counters: two statements.
    static func write(_ effect: TransferEffect, _ connection: PostgresConnection) async throws {
        try await insert(effect.transfer, connection)
        let (debit, credit) = (effect.debitAccount, effect.creditAccount)
        try await execute(connection, """
            UPDATE accounts SET debits_pending = v.debits_pending, debits_posted = v.debits_posted,
                credits_pending = v.credits_pending, credits_posted = v.credits_posted
            FROM (VALUES (\(debit.id), \(debit.debitsPending), \(debit.debitsPosted), \(debit.creditsPending), \(debit.creditsPosted)),
                         (\(credit.id), \(credit.debitsPending), \(credit.debitsPosted), \(credit.creditsPending), \(credit.creditsPosted)))
                AS v (id, debits_pending, debits_posted, credits_pending, credits_posted)
            WHERE accounts.id = v.id
            """)
    }

    // MARK: Payments

    static func payment(_ row: PostgresRandomAccessRow) throws -> Payment {
        let id = try row["id"].decode(String.self)
        guard let status = PaymentStatus(rawValue: try row["status"].decode(String.self)),
              let method = CaptureMethod(rawValue: try row["capture_method"].decode(String.self)) else {
            throw corrupt("payment \(id): bad status or capture method")
        }
        return Payment(id: id, status: status, captureMethod: method, amountMinor: try row["amount"].decode(Int64.self),
                       currency: try currency(try row["currency"].decode(String.self), "payment \(id)"),
                       heldMinor: try row["amount_held"].decode(Int64.self), capturedMinor: try row["amount_captured"].decode(Int64.self),
                       refundedMinor: try row["amount_refunded"].decode(Int64.self), declineCode: try row["decline_code"].decode(String?.self),
                       customerID: try row["customer_id"].decode(String?.self), accountID: try row["account_id"].decode(String?.self),
                       merchantID: try row["merchant_id"].decode(String.self), merchantAccountID: try row["merchant_account_id"].decode(String?.self),
                       deviceID: try row["device_id"].decode(String.self), reference: try row["reference"].decode(String?.self),
                       holdTransferID: try row["hold_transfer_id"].decode(String?.self),
                       expiresAt: try row["expires_at"].decode(String?.self).map { try date($0, "payment \(id)") },
                       createdAt: try date(try row["created_at"].decode(String.self), "payment \(id)"),
                       updatedAt: try date(try row["updated_at"].decode(String.self), "payment \(id)"))
    }

    static func payment(_ connection: PostgresConnection, id: String, locked: Bool = false) async throws -> Payment? {
        try await first(connection, PostgresQuery(unsafeSQL: "SELECT \(paymentColumns) FROM payments WHERE id = $1\(locked ? " FOR UPDATE" : "")",
                                                  binds: binds(id)), payment)
    }

    static func insert(_ payment: Payment, _ connection: PostgresConnection) async throws {
        try await execute(connection, """
            INSERT INTO payments (\(unescaped: paymentColumns)) VALUES (\(payment.id), \(payment.status.rawValue), \(payment.declineCode),
                \(payment.captureMethod.rawValue), \(payment.amountMinor), \(payment.currency.code), \(payment.heldMinor),
                \(payment.capturedMinor), \(payment.refundedMinor), \(payment.customerID), \(payment.accountID), \(payment.merchantID),
                \(payment.merchantAccountID), \(payment.deviceID), \(payment.reference), \(payment.holdTransferID),
                \(payment.expiresAt.map(Timestamp.text)), \(Timestamp.text(payment.createdAt)), \(Timestamp.text(payment.updatedAt)))
            """)
    }

    static func updateProgress(_ payment: Payment, _ connection: PostgresConnection) async throws {
        try await execute(connection, """
            UPDATE payments SET status = \(payment.status.rawValue), amount_captured = \(payment.capturedMinor),
                amount_refunded = \(payment.refundedMinor), updated_at = \(Timestamp.text(payment.updatedAt)) WHERE id = \(payment.id)
            """)
    }

    /// What each wallet has spent on the UTC day of `now` (the rule of `Payment.dailySpendMinor`;
    /// the same query as SQLite's `LedgerRows.spentToday`), in one statement; a wallet that spent
    /// nothing is absent.
    static func spentToday(_ connection: PostgresConnection, accountIDs: [String], now: Date) async throws -> [String: Int64] {
        Dictionary(try await all(connection, spentTodayQuery(accountIDs: accountIDs, now: now), spent)) { first, _ in first }
    }

    /// `spentToday` as a statement.
    static func spentTodayQuery(accountIDs: [String], now: Date) -> PostgresQuery {
        let day = UTCDay.bounds(containing: now)
        return PostgresQuery(unsafeSQL: """
            SELECT t.debit_account_id AS account_id,
                   coalesce(sum(CASE p.status WHEN 'authorized' THEN p.amount_held
                                              WHEN 'approved' THEN p.amount_captured
                                              WHEN 'captured' THEN p.amount_captured ELSE 0 END), 0)::BIGINT AS spent
            FROM transfers t JOIN payments p ON p.id = t.payment_id
            WHERE t.debit_account_id = ANY($1) AND t.created_at >= $2
              AND t.created_at < $3 AND t.kind IN ('payment', 'hold')
            GROUP BY t.debit_account_id
            """, binds: binds(accountIDs, Timestamp.text(day.start), Timestamp.text(day.end)))
    }

    /// A row of `spentTodayQuery`: the wallet and what it spent.
    static func spent(_ row: PostgresRandomAccessRow) throws -> (String, Int64) {
        (try row["account_id"].decode(String.self), try row["spent"].decode(Int64.self))
    }

    static func depositedMinor(_ connection: PostgresConnection, accountID: String, since: Date) async throws -> Int64 {
        try await first(connection, """
            SELECT coalesce(sum(amount), 0)::BIGINT AS deposited FROM transfers
            WHERE credit_account_id = \(accountID) AND kind = 'deposit' AND created_at >= \(Timestamp.text(since))
            """) { try $0["deposited"].decode(Int64.self) } ?? 0
    }

    static func insert(_ refund: Refund, _ connection: PostgresConnection) async throws {
        try await execute(connection, """
            INSERT INTO refunds (id, payment_id, amount, currency, transfer_id, device_id, created_at)
            VALUES (\(refund.id), \(refund.paymentID), \(refund.amountMinor), \(refund.currency.code), \(refund.transferID),
                    \(refund.deviceID), \(Timestamp.text(refund.createdAt)))
            """)
    }

    // MARK: Customers

    static func customer(_ row: PostgresRandomAccessRow) throws -> Customer {
        Customer(id: try row["id"].decode(String.self), fullName: try row["full_name"].decode(String.self),
                 displayName: try row["display_name"].decode(String.self), phoneE164: try row["phone_e164"].decode(String.self),
                 phoneLast4: try row["phone_last4"].decode(String.self), accountID: try row["account_id"].decode(String.self),
                 consentVersion: try row["consent_version"].decode(String.self),
                 consentAcceptedAt: try row["consent_accepted_at"].decode(String.self),
                 consentKioskID: try row["consent_kiosk_id"].decode(String.self), createdAt: try row["created_at"].decode(String.self),
                 biometricsErasedAt: try row["biometrics_erased_at"].decode(String?.self))
    }

    static func customer(_ connection: PostgresConnection, id: String) async throws -> Customer? {
        try await first(connection, PostgresQuery(unsafeSQL: "SELECT \(customerColumns) FROM customers WHERE id = $1", binds: binds(id)), customer)
    }

    // MARK: Binds

    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}

extension Data {
    /// As a bytea bind (ByteBuffer encodes without throwing).
    var bytea: ByteBuffer { ByteBuffer(bytes: self) }
}
