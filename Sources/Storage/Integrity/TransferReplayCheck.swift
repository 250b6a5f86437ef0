import GRDB
import Ledger
import Stores

/// Check 2: every transfer after a seq, replayed in order — positive amount, existing accounts of
/// its currency, a capture/void/expiry resolving an earlier unresolved hold between the same
/// accounts with a valid amount — summed into the counters of the accounts it touches.
///
/// The replay starts from a baseline: nothing (a full verification) or the persisted state of the
/// last verified run (sums of the accounts it touches, open holds), read only for the accounts
/// and holds the new transfers name, so its cost follows the new transfers, not the ledger.
struct TransferReplayCheck {
    /// Where the replay starts.
    struct Baseline {
        var afterSeq: Int64
        /// The verified sums of an account (zero for one never seen).
        var sums: (IntegrityCheckContext, String) throws -> LedgerCounters
        /// A hold left open by the verified transfers, if `id` names one.
        var openHold: (IntegrityCheckContext, String) throws -> OpenHold?

        static var empty: Baseline { Baseline(afterSeq: 0, sums: { _, _ in LedgerCounters() }, openHold: { _, _ in nil }) }
    }

    let baseline: Baseline
    /// Sums of every account the replayed transfers touched, from its baseline on.
    private(set) var sums: [String: LedgerCounters] = [:]
    /// Holds opened by the replayed transfers and still open.
    private(set) var holdsOpened: [String: OpenHold] = [:]
    /// Holds of the baseline that the replayed transfers resolved.
    private(set) var baselineHoldsResolved: Set<String> = []
    /// Payments the replayed transfers name.
    private(set) var paymentsTouched: Set<String> = []
    private(set) var lastSeq: Int64
    private(set) var checked = 0

    init(baseline: Baseline) {
        self.baseline = baseline
        lastSeq = baseline.afterSeq
    }

    mutating func run(_ context: IntegrityCheckContext, accounts: AccountDirectory) throws {
        if baseline.afterSeq > 0, try context.firstRow("SELECT 1 FROM transfers WHERE seq = ?", [baseline.afterSeq]) == nil {
            context.report("transfers", "seq \(baseline.afterSeq)", "row", expected: "present (last verified transfer)", found: "missing")
        }
        try context.forEachRow("SELECT \(LedgerRows.transferColumns) FROM transfers WHERE seq > ? ORDER BY seq",
                               [baseline.afterSeq]) { row in
            checked += 1
            lastSeq = row[12]
            let transfer: Transfer
            do {
                transfer = try LedgerRows.transfer(from: row)
            } catch {
                context.report("transfers", row[0] ?? "?", "row", expected: "a valid transfer", found: "\(error)")
                return
            }
            try replay(transfer, context, accounts)
        }
    }

    private mutating func replay(_ transfer: Transfer, _ context: IntegrityCheckContext, _ accounts: AccountDirectory) throws {
        let id = transfer.id
        let amount = Int128(transfer.amountMinor)
        if transfer.amountMinor <= 0 {
            context.report("transfers", id, "amount", expected: "> 0", found: "\(transfer.amountMinor)")
        }
        for (side, accountID) in [("debit_account_id", transfer.debitAccountID), ("credit_account_id", transfer.creditAccountID)] {
            if let account = try accounts.account(accountID, context) {
                if account.currency != transfer.currency {
                    context.report("transfers", id, "currency", expected: "\(account.currency) (\(side) \(accountID))",
                                   found: transfer.currency.code)
                }
            } else {
                context.report("transfers", id, side, expected: "an existing account", found: accountID)
            }
        }
        if let paymentID = transfer.paymentID { paymentsTouched.insert(paymentID) }
        switch transfer.kind {
        case .deposit, .payment, .refund:
            try add(transfer.debitAccountID, context) { $0.debitsPosted += amount }
            try add(transfer.creditAccountID, context) { $0.creditsPosted += amount }
        case .hold:
            holdsOpened[id] = OpenHold(amount: transfer.amountMinor, debitAccountID: transfer.debitAccountID,
                                       creditAccountID: transfer.creditAccountID)
            try add(transfer.debitAccountID, context) { $0.debitsPending += amount }
            try add(transfer.creditAccountID, context) { $0.creditsPending += amount }
        case .capture, .void, .expiry:
            guard let pendingID = transfer.pendingID, let hold = try resolve(pendingID, context) else {
                context.report("transfers", id, "pending_id", expected: "an earlier unresolved hold", found: transfer.pendingID ?? "NULL")
                return
            }
            if hold.debitAccountID != transfer.debitAccountID || hold.creditAccountID != transfer.creditAccountID {
                context.report("transfers", id, "accounts",
                               expected: "\(hold.debitAccountID) -> \(hold.creditAccountID) (hold \(pendingID))",
                               found: "\(transfer.debitAccountID) -> \(transfer.creditAccountID)")
            }
            let isCapture = transfer.kind == .capture
            if isCapture ? transfer.amountMinor > hold.amount : transfer.amountMinor != hold.amount {
                context.report("transfers", id, "amount", expected: (isCapture ? "<= " : "") + "\(hold.amount) (hold \(pendingID))",
                               found: "\(transfer.amountMinor)")
            }
            try add(hold.debitAccountID, context) { $0.debitsPending -= Int128(hold.amount) }
            try add(hold.creditAccountID, context) { $0.creditsPending -= Int128(hold.amount) }
            if isCapture {
                try add(hold.debitAccountID, context) { $0.debitsPosted += amount }
                try add(hold.creditAccountID, context) { $0.creditsPosted += amount }
            }
        }
    }

    /// Takes the hold `id` out of the open ones (opened in this replay or left open by the baseline).
    private mutating func resolve(_ id: String, _ context: IntegrityCheckContext) throws -> OpenHold? {
        if let hold = holdsOpened.removeValue(forKey: id) { return hold }
        guard !baselineHoldsResolved.contains(id), let hold = try baseline.openHold(context, id) else { return nil }
        baselineHoldsResolved.insert(id)
        return hold
    }

    private mutating func add(_ accountID: String, _ context: IntegrityCheckContext, _ change: (inout LedgerCounters) -> Void) throws {
        if sums[accountID] == nil { sums[accountID] = try baseline.sums(context, accountID) }
        change(&sums[accountID, default: LedgerCounters()])
    }
}

/// The accounts a verification reads: all of them up front (full) or each on first use
/// (incremental), so the cost follows what is checked.
final class AccountDirectory {
    private var known: [String: Account] = [:]
    private var missing: Set<String> = []
    private let preloaded: Bool

    private init(preloaded: Bool) { self.preloaded = preloaded }

    static func onDemand() -> AccountDirectory { AccountDirectory(preloaded: false) }

    /// Every account; a row that does not decode is reported and left out.
    static func all(_ context: IntegrityCheckContext) throws -> AccountDirectory {
        let directory = AccountDirectory(preloaded: true)
        try context.forEachRow("SELECT \(LedgerRows.accountColumns) FROM accounts") { row in
            do {
                let account = try LedgerRows.account(from: row)
                directory.known[account.id] = account
            } catch {
                context.report("accounts", row[0] ?? "?", "row", expected: "a valid account", found: "\(error)")
            }
        }
        return directory
    }

    var accounts: [String: Account] { known }

    func account(_ id: String, _ context: IntegrityCheckContext) throws -> Account? {
        if let account = known[id] { return account }
        if preloaded || missing.contains(id) { return nil }
        guard let row = try context.firstRow("SELECT \(LedgerRows.accountColumns) FROM accounts WHERE id = ?", [id]) else {
            missing.insert(id)
            return nil
        }
        do {
            let account = try LedgerRows.account(from: row)
            known[id] = account
            return account
        } catch {
            context.report("accounts", id, "row", expected: "a valid account", found: "\(error)")
            missing.insert(id)
            return nil
        }
    }
}
