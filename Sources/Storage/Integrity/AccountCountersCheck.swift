import Ledger
import Stores

/// Checks 3–5: each account's four counters against the sum of its transfers, no wallet (nor any
/// account flagged debits_must_not_exceed_credits) below zero with pending holds counted, and —
/// over the whole book — total debits equal total credits.
enum AccountCountersCheck {
    /// `accountIDs`: the accounts to check, with the sums their transfers give. `wholeBook` adds the
    /// totals and the accounts the transfers name but the table lacks; an incremental run leaves
    /// them out, since every replayed transfer debits and credits the same amount, so the totals
    /// of the touched accounts move together by construction.
    static func run(_ context: IntegrityCheckContext, accounts: AccountDirectory, sums: [String: LedgerCounters],
                    accountIDs: [String], wholeBook: Bool) throws {
        var totals = LedgerCounters()
        for id in accountIDs.sorted() {
            guard let account = try accounts.account(id, context) else { continue }
            let want = sums[id] ?? LedgerCounters()
            let have = LedgerCounters(debitsPending: Int128(account.debitsPending), debitsPosted: Int128(account.debitsPosted),
                                      creditsPending: Int128(account.creditsPending), creditsPosted: Int128(account.creditsPosted))
            for (name, expected, found) in [("debits_pending", want.debitsPending, have.debitsPending),
                                            ("debits_posted", want.debitsPosted, have.debitsPosted),
                                            ("credits_pending", want.creditsPending, have.creditsPending),
                                            ("credits_posted", want.creditsPosted, have.creditsPosted)] where expected != found {
                context.report("accounts", id, name, expected: "\(expected) (sum of its transfers)", found: "\(found)")
            }
            if account.kind == .customerWallet || account.debitsMustNotExceedCredits {
                let available = have.creditsPosted - have.debitsPosted - have.debitsPending
                if available < 0 {
                    context.report("accounts", id, "available_balance", expected: ">= 0 (credits_posted - debits_posted - debits_pending)",
                                   found: "\(available)")
                }
            }
            totals.debitsPending += have.debitsPending
            totals.debitsPosted += have.debitsPosted
            totals.creditsPending += have.creditsPending
            totals.creditsPosted += have.creditsPosted
        }
        guard wholeBook else { return }
        for id in sums.keys.sorted() {
            if try accounts.account(id, context) == nil {
                context.report("accounts", id, "row", expected: "an account named by transfers", found: "missing")
            }
        }
        if totals.debitsPosted != totals.creditsPosted {
            context.report("ledger", "all accounts", "total_posted", expected: "debits \(totals.debitsPosted) = credits",
                           found: "credits \(totals.creditsPosted)")
        }
        if totals.debitsPending != totals.creditsPending {
            context.report("ledger", "all accounts", "total_pending", expected: "debits \(totals.debitsPending) = credits",
                           found: "credits \(totals.creditsPending)")
        }
    }
}
