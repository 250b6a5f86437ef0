import FacePayCore
import Foundation
import GRDB
import Ledger

/// Recomputes everything the ledger promises from the rows themselves (`facepay audit verify`,
/// `GET /v1/audit/verify`):
///
/// 1. the audit hash chain from the first event: seq contiguous from 1, each `prev_hash` equal
///    to the previous row's `hash` (64 zeros for the first), each `hash` recomputed;
/// 2. every transfer: positive amount, existing accounts of its currency, a capture/void/expiry
///    resolving an earlier hold between the same accounts with a valid amount;
/// 3. every account's four counters against the sum of its transfers;
/// 4. total debits equal total credits (posted and pending), over the stored counters;
/// 5. no wallet (nor any account flagged debits_must_not_exceed_credits) below zero, pending
///    holds included;
/// 6. every payment's captured and refunded amounts against its transfers;
/// 7. the triggers that keep transfers and audit events immutable are still there.
///
/// Run it inside one read transaction (`AppDatabase.verifyIntegrity()` does) so it sees one
/// consistent snapshot while writes go on.
public struct IntegrityVerifier: Sendable {
    /// Bound on the problems reported; a badly damaged file would otherwise produce one per row.
    public let problemsMax: Int

    public init(problemsMax: Int = 1000) {
        precondition(problemsMax > 0, "problemsMax must be positive")
        self.problemsMax = problemsMax
    }

    static let immutabilityTriggers = ["transfers_no_update", "transfers_no_delete",
                                       "audit_events_no_update", "audit_events_no_delete"]

    private struct Counters: Equatable {
        var debitsPending: Int128 = 0
        var debitsPosted: Int128 = 0
        var creditsPending: Int128 = 0
        var creditsPosted: Int128 = 0
    }

    public func verify(_ db: Database) throws -> IntegrityReport {
        var problems: [IntegrityProblem] = []
        func report(_ table: String, _ row: String, _ check: String, expected: String, found: String) {
            if problems.count < problemsMax {
                problems.append(IntegrityProblem(table: table, row: row, check: check, expected: expected, found: found))
            }
        }

        // 1. The audit chain.
        var eventsChecked = 0
        var expectedSeq: Int64 = 1
        var previousHash = AuditLog.genesisHash
        let events = try Row.fetchCursor(db, sql: """
            SELECT seq, event_id, time, actor, action, subject, detail, prev_hash, hash FROM audit_events ORDER BY seq
            """)
        while let row = try events.next() {
            let event = AuditLog.event(from: row)
            let name = "seq \(event.seq)"
            if event.seq != expectedSeq {
                report("audit_events", name, "seq", expected: "\(expectedSeq)", found: "\(event.seq)")
            }
            if event.prevHash != previousHash {
                report("audit_events", name, "prev_hash", expected: previousHash, found: event.prevHash)
            }
            let recomputed = AuditLog.hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm)
            if recomputed != event.hash {
                report("audit_events", name, "hash", expected: recomputed, found: event.hash)
            }
            previousHash = event.hash
            expectedSeq = event.seq + 1
            eventsChecked += 1
        }

        // 2. Transfers, summed per account.
        var accounts: [String: Account] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT \(LedgerRows.accountColumns) FROM accounts") {
            do {
                let account = try LedgerRows.account(from: row)
                accounts[account.id] = account
            } catch {
                report("accounts", row[0] ?? "?", "row", expected: "a valid account", found: "\(error)")
            }
        }
        var expected: [String: Counters] = [:]
        var holds: [String: (amount: Int64, debit: String, credit: String)] = [:]
        var transfersChecked = 0
        let transfers = try Row.fetchCursor(db, sql: "SELECT \(LedgerRows.transferColumns) FROM transfers ORDER BY seq")
        while let row = try transfers.next() {
            transfersChecked += 1
            let transfer: Transfer
            do {
                transfer = try LedgerRows.transfer(from: row)
            } catch {
                report("transfers", row[0] ?? "?", "row", expected: "a valid transfer", found: "\(error)")
                continue
            }
            let id = transfer.id
            let amount = Int128(transfer.amountMinor)
            if transfer.amountMinor <= 0 {
                report("transfers", id, "amount", expected: "> 0", found: "\(transfer.amountMinor)")
            }
            for (side, accountID) in [("debit_account_id", transfer.debitAccountID), ("credit_account_id", transfer.creditAccountID)] {
                if let account = accounts[accountID] {
                    if account.currency != transfer.currency {
                        report("transfers", id, "currency", expected: "\(account.currency) (\(side) \(accountID))",
                               found: transfer.currency.code)
                    }
                } else {
                    report("transfers", id, side, expected: "an existing account", found: accountID)
                }
            }
            switch transfer.kind {
            case .deposit, .payment, .refund:
                expected[transfer.debitAccountID, default: Counters()].debitsPosted += amount
                expected[transfer.creditAccountID, default: Counters()].creditsPosted += amount
            case .hold:
                holds[id] = (transfer.amountMinor, transfer.debitAccountID, transfer.creditAccountID)
                expected[transfer.debitAccountID, default: Counters()].debitsPending += amount
                expected[transfer.creditAccountID, default: Counters()].creditsPending += amount
            case .capture, .void, .expiry:
                guard let pendingID = transfer.pendingID, let hold = holds.removeValue(forKey: pendingID) else {
                    report("transfers", id, "pending_id", expected: "an earlier unresolved hold",
                           found: transfer.pendingID ?? "NULL")
                    continue
                }
                if hold.debit != transfer.debitAccountID || hold.credit != transfer.creditAccountID {
                    report("transfers", id, "accounts", expected: "\(hold.debit) -> \(hold.credit) (hold \(pendingID))",
                           found: "\(transfer.debitAccountID) -> \(transfer.creditAccountID)")
                }
                let validAmount = transfer.kind == .capture ? transfer.amountMinor <= hold.amount : transfer.amountMinor == hold.amount
                if !validAmount {
                    report("transfers", id, "amount",
                           expected: (transfer.kind == .capture ? "<= " : "") + "\(hold.amount) (hold \(pendingID))",
                           found: "\(transfer.amountMinor)")
                }
                expected[hold.debit, default: Counters()].debitsPending -= Int128(hold.amount)
                expected[hold.credit, default: Counters()].creditsPending -= Int128(hold.amount)
                if transfer.kind == .capture {
                    expected[hold.debit, default: Counters()].debitsPosted += amount
                    expected[hold.credit, default: Counters()].creditsPosted += amount
                }
            }
        }

        // 3–5. Counters, totals, balances.
        var totals = Counters()
        for (id, account) in accounts.sorted(by: { $0.key < $1.key }) {
            let sums = expected[id] ?? Counters()
            let stored = Counters(debitsPending: Int128(account.debitsPending), debitsPosted: Int128(account.debitsPosted),
                                  creditsPending: Int128(account.creditsPending), creditsPosted: Int128(account.creditsPosted))
            for (name, want, have) in [("debits_pending", sums.debitsPending, stored.debitsPending),
                                       ("debits_posted", sums.debitsPosted, stored.debitsPosted),
                                       ("credits_pending", sums.creditsPending, stored.creditsPending),
                                       ("credits_posted", sums.creditsPosted, stored.creditsPosted)] where want != have {
                report("accounts", id, name, expected: "\(want) (sum of its transfers)", found: "\(have)")
            }
            if account.kind == .customerWallet || account.debitsMustNotExceedCredits {
                let available = stored.creditsPosted - stored.debitsPosted - stored.debitsPending
                if available < 0 {
                    report("accounts", id, "available_balance", expected: ">= 0 (credits_posted - debits_posted - debits_pending)",
                           found: "\(available)")
                }
            }
            totals.debitsPending += stored.debitsPending
            totals.debitsPosted += stored.debitsPosted
            totals.creditsPending += stored.creditsPending
            totals.creditsPosted += stored.creditsPosted
        }
        for account in expected.keys where accounts[account] == nil {
            report("accounts", account, "row", expected: "an account named by transfers", found: "missing")
        }
        if totals.debitsPosted != totals.creditsPosted {
            report("ledger", "all accounts", "total_posted", expected: "debits \(totals.debitsPosted) = credits",
                   found: "credits \(totals.creditsPosted)")
        }
        if totals.debitsPending != totals.creditsPending {
            report("ledger", "all accounts", "total_pending", expected: "debits \(totals.debitsPending) = credits",
                   found: "credits \(totals.creditsPending)")
        }

        // 6. Payments against their transfers.
        let payments = try Row.fetchCursor(db, sql: """
            SELECT p.id, p.amount_captured, p.amount_refunded,
                   (SELECT coalesce(sum(amount), 0) FROM transfers t WHERE t.payment_id = p.id AND t.kind IN ('payment', 'capture')),
                   (SELECT coalesce(sum(amount), 0) FROM transfers t WHERE t.payment_id = p.id AND t.kind = 'refund')
            FROM payments p ORDER BY p.id
            """)
        while let row = try payments.next() {
            let id: String = row[0]
            let captured: Int64 = row[1], refunded: Int64 = row[2], transferredIn: Int64 = row[3], refundedOut: Int64 = row[4]
            if captured != transferredIn {
                report("payments", id, "amount_captured", expected: "\(transferredIn) (sum of its transfers)", found: "\(captured)")
            }
            if refunded != refundedOut {
                report("payments", id, "amount_refunded", expected: "\(refundedOut) (sum of its refund transfers)", found: "\(refunded)")
            }
        }

        // 7. Immutability triggers: a dropped trigger is how rows get edited behind our back.
        let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        for name in Self.immutabilityTriggers where !triggers.contains(name) {
            report("sqlite_master", name, "trigger", expected: "present", found: "missing")
        }

        return IntegrityReport(eventsChecked: eventsChecked, transfersChecked: transfersChecked, problems: problems)
    }
}
