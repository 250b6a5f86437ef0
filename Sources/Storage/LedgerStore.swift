import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

/// The ledger in SQLite. Every operation takes the `Database` of a transaction the caller owns
/// (`AppDatabase.pool.write`, or a `GroupCommitWriter` submission, usually wrapped in
/// `Idempotency.run`): it applies the pure rules of the Ledger module to the rows it reads,
/// then writes the transfer, the counters, the payment and the audit event, or, when the rules
/// refuse, writes nothing (a declined payment is recorded: a decline is a result). A thrown error
/// means the caller's transaction must roll back, which both `pool.write` and the group-commit
/// writer do.
///
/// Actor: the device id that asked, `operator` for the CLI, `system` for background services.
public enum LedgerStore {
    public static let operatorActor = LedgerEvents.operatorActor
    public static let systemActor = LedgerEvents.systemActor
    public static let systemOwnerID = "system"

    // MARK: Accounts

    /// Opens an account. A second account with the same owner, kind and currency is a 409
    /// `account_exists`.
    public static func createAccount(_ db: Database, kind: AccountKind, ownerID: String, currency: Currency,
                                     debitsMustNotExceedCredits: Bool? = nil, paymentLimitMinor: Int64? = nil,
                                     dailyLimitMinor: Int64? = nil, actor: String, now: Date) throws -> Account {
        let now = Timestamp.truncated(now)
        guard !ownerID.isEmpty, ownerID.utf8.count <= 64 else { throw FacePayError.invalidField("owner_id", "must be 1-64 characters") }
        guard (kind == .systemFunding) == (ownerID == systemOwnerID) else {
            throw FacePayError.invalidField("owner_id", "'system' owns exactly the system funding accounts")
        }
        for (name, limit) in [("payment_limit", paymentLimitMinor), ("daily_limit", dailyLimitMinor)] {
            if let limit, limit <= 0 { throw FacePayError.invalidField(name, "must be positive") }
        }
        if try LedgerRows.fetchAccount(db, kind: kind, ownerID: ownerID, currency: currency) != nil {
            throw FacePayError(.conflict, code: "account_exists",
                               detail: "\(ownerID) already has a \(kind.rawValue) account in \(currency)")
        }
        let account = Account(id: LedgerIdentifier.make(.account, now: now), kind: kind, ownerID: ownerID, currency: currency,
                              debitsMustNotExceedCredits: debitsMustNotExceedCredits, paymentLimitMinor: paymentLimitMinor,
                              dailyLimitMinor: dailyLimitMinor, createdAt: now)
        try LedgerRows.insert(account, db)
        try AuditLog.append(db, LedgerEvents.accountCreated(account, actor: actor), now: now)
        return account
    }

    /// The account of that owner, kind and currency, opened (with default flags) if missing.
    public static func ensureAccount(_ db: Database, kind: AccountKind, ownerID: String, currency: Currency,
                                     actor: String, now: Date) throws -> Account {
        if let account = try LedgerRows.fetchAccount(db, kind: kind, ownerID: ownerID, currency: currency) {
            return account
        }
        return try createAccount(db, kind: kind, ownerID: ownerID, currency: currency, actor: actor, now: now)
    }

    public static func account(_ db: Database, id: String) throws -> Account? {
        try LedgerRows.fetchAccount(db, id: id)
    }

    public static func account(_ db: Database, kind: AccountKind, ownerID: String, currency: Currency) throws -> Account? {
        try LedgerRows.fetchAccount(db, kind: kind, ownerID: ownerID, currency: currency)
    }

    /// Accounts of an owner (a customer's wallets, a merchant's accounts), by currency.
    public static func accounts(_ db: Database, ownerID: String) throws -> [Account] {
        try Row.fetchAll(db, sql: "SELECT \(LedgerRows.accountColumns) FROM accounts WHERE owner_id = ? ORDER BY kind, currency",
                         arguments: [ownerID]).map(LedgerRows.account(from:))
    }

    /// Freezes or unfreezes an account: a frozen account takes part in no transfer except the
    /// release (void, expiry) of holds already on it.
    public static func setFrozen(_ db: Database, accountID: String, frozen: Bool, actor: String, now: Date) throws {
        try db.execute(sql: "UPDATE accounts SET frozen = ? WHERE id = ?", arguments: [frozen, accountID])
        guard db.changesCount == 1 else { throw FacePayError(.notFound, code: "account_not_found", detail: "no account \(accountID)") }
        try AuditLog.append(db, actor: actor, action: frozen ? "account.frozen" : "account.unfrozen", subject: accountID,
                            detail: [:], now: now)
    }

    /// Sets (or clears, with nil) the per-payment and per-day limits of an account.
    public static func setLimits(_ db: Database, accountID: String, paymentLimitMinor: Int64?, dailyLimitMinor: Int64?,
                                 actor: String, now: Date) throws {
        for (name, limit) in [("payment_limit", paymentLimitMinor), ("daily_limit", dailyLimitMinor)] {
            if let limit, limit <= 0 { throw FacePayError.invalidField(name, "must be positive") }
        }
        try db.execute(sql: "UPDATE accounts SET payment_limit = ?, daily_limit = ? WHERE id = ?",
                       arguments: [paymentLimitMinor, dailyLimitMinor, accountID])
        guard db.changesCount == 1 else { throw FacePayError(.notFound, code: "account_not_found", detail: "no account \(accountID)") }
        try AuditLog.append(db, actor: actor, action: "account.limits_changed", subject: accountID, detail: [
            "payment_limit": .optional(paymentLimitMinor), "daily_limit": .optional(dailyLimitMinor),
        ], now: now)
    }

    // MARK: Deposits

    /// Money into a customer wallet, from the system funding account of its currency (opened on
    /// first use).
    public static func deposit(_ db: Database, accountID: String, amount: Money, deviceID: String?,
                               actor: String, now: Date) throws -> LedgerOutcome<Transfer> {
        let now = Timestamp.truncated(now)
        let wallet = try LedgerRows.fetchAccount(db, id: accountID)
        if let wallet, wallet.kind != .customerWallet {
            throw FacePayError(.badRequest, code: "not_a_wallet", detail: "deposits go into customer wallets; \(accountID) is \(wallet.kind.rawValue)")
        }
        var funding = try LedgerRows.fetchAccount(db, kind: .systemFunding, ownerID: systemOwnerID, currency: amount.currency)
        if funding == nil {
            // Decide against a provisional funding account first, so a refused deposit opens nothing.
            let provisional = Account(id: "acc_provisional", kind: .systemFunding, ownerID: systemOwnerID,
                                      currency: amount.currency, createdAt: now)
            let trial = PaymentRules.deposit(into: wallet, from: provisional, amount: amount, transferID: "trf_trial",
                                             deviceID: deviceID, now: now)
            if let code = trial.resultCode { return .rejected(code) }
            funding = try createAccount(db, kind: .systemFunding, ownerID: systemOwnerID, currency: amount.currency,
                                        actor: systemActor, now: now)
        }
        let outcome = PaymentRules.deposit(into: wallet, from: funding, amount: amount, transferID: LedgerIdentifier.make(.transfer, now: now),
                                           deviceID: deviceID, now: now)
        guard case .accepted(let effect) = outcome else { return .rejected(outcome.resultCode!) }
        try LedgerRows.write(effect, db)
        try AuditLog.append(db, LedgerEvents.depositPosted(effect.transfer, into: accountID, amount: amount, actor: actor), now: now)
        return .accepted(effect.transfer)
    }

    // MARK: Reads

    /// The minor units deposited into `accountID` since `since` (the deposit caps' day total).
    /// Reads only that wallet's credits (index `transfers_credit_account`).
    public static func depositedMinor(_ db: Database, accountID: String, since: Date) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum(amount), 0) FROM transfers
            WHERE credit_account_id = ? AND kind = 'deposit' AND created_at >= ?
            """, arguments: [accountID, Timestamp.text(since)]) ?? 0
    }

    public static func transfer(_ db: Database, id: String) throws -> Transfer? {
        try LedgerRows.fetchTransfer(db, id: id)
    }

    public static func payment(_ db: Database, id: String) throws -> Payment? {
        try LedgerRows.fetchPayment(db, id: id)
    }

    public static func refunds(_ db: Database, paymentID: String) throws -> [Refund] {
        try Row.fetchAll(db, sql: """
            SELECT id, payment_id, amount, currency, transfer_id, device_id, created_at FROM refunds
            WHERE payment_id = ? ORDER BY created_at, id
            """, arguments: [paymentID]).map { row in
            let id: String = row[0]
            return Refund(id: id, paymentID: row[1], amountMinor: row[2], currency: try LedgerRows.currency(row[3], "refund \(id)"),
                          transferID: row[4], deviceID: row[5], createdAt: try LedgerRows.date(row[6], "refund \(id)"))
        }
    }

    /// Transfers for auditors, oldest first, in pages (`GET /v1/ledger/transfers`).
    public static func transfers(_ db: Database, _ query: TransferQuery) throws -> TransferPage {
        precondition(query.limit > 0, "page size must be positive")
        var conditions = [query.newestFirst ? "seq < ?" : "seq > ?"]
        let cursor: Int64 = query.afterSeq ?? (query.newestFirst ? Int64.max : 0)
        var arguments: StatementArguments = [cursor]
        let order = query.newestFirst ? "DESC" : "ASC"
        if let merchantID = query.merchantID {
            conditions.append("merchant_id = ?")
            _ = arguments.append(contentsOf: [merchantID])
        }
        if let deviceID = query.deviceID {
            conditions.append("device_id = ?")
            _ = arguments.append(contentsOf: [deviceID])
        }
        if let paymentID = query.paymentID {
            conditions.append("payment_id = ?")
            _ = arguments.append(contentsOf: [paymentID])
        }
        if let since = query.since {
            // Transfer ids sort by creation time: the UNIQUE index on id serves time ranges.
            conditions.append("id >= ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.transfer, at: since)])
        }
        if let until = query.until {
            conditions.append("id < ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.transfer, at: until)])
        }
        func fetch(_ side: String?) throws -> [Row] {
            var sideConditions = conditions
            var sideArguments = arguments
            if let side, let accountID = query.accountID {
                sideConditions.append("\(side) = ?")
                _ = sideArguments.append(contentsOf: [accountID])
            }
            _ = sideArguments.append(contentsOf: [query.limit + 1])
            return try Row.fetchAll(db, sql: """
                SELECT \(LedgerRows.transferColumns) FROM transfers WHERE \(sideConditions.joined(separator: " AND "))
                ORDER BY seq \(order) LIMIT ?
                """, arguments: sideArguments)
        }
        // An account is on either side; two ordered index scans merged here page in O(limit)
        // where one OR query would sort all of a busy account's transfers for every page.
        let rows = query.accountID == nil
            ? try fetch(nil)
            : Array((try fetch("debit_account_id") + fetch("credit_account_id"))
                .sorted { query.newestFirst ? ($0[12] as Int64) > ($1[12] as Int64) : ($0[12] as Int64) < ($1[12] as Int64) }
                .prefix(query.limit + 1))
        let page = rows.prefix(query.limit)
        let transfers = try page.map(LedgerRows.transfer(from:))
        let lastSeq: Int64? = page.last?[12]
        return TransferPage(transfers: transfers, nextCursor: rows.count > query.limit ? lastSeq : nil)
    }
}
