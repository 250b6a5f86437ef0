import FacePayCore
import Foundation
import Ledger
import Testing

@Suite struct LedgerBookRandomTests {
    /// A seeded random workload on the in-memory book: every invariant holds after every step.
    @Test func randomWorkloadKeepsEveryInvariant() {
        let seed = UInt64(ProcessInfo.processInfo.environment["LEDGER_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("LedgerBookRandomTests seed: \(seed) (re-run with LEDGER_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        var book = LedgerBook()
        var now = start
        let funding = book.createAccount(kind: .systemFunding, ownerID: "system", currency: eur, now: now)
        let merchant = book.createAccount(kind: .merchant, ownerID: "M-1", currency: eur, now: now)
        let wallets = (0..<5).map { index in
            book.createAccount(kind: .customerWallet, ownerID: "cus_\(index)", currency: eur,
                               dailyLimitMinor: index == 0 ? 5_000 : nil, now: now)
        }
        for step in 0..<2_000 {
            let wallet = wallets[Int.random(in: 0..<wallets.count, using: &random)].id
            let amount = Int64.random(in: 1...2_000, using: &random)
            let paymentIDs = book.payments.keys.sorted()
            switch Int.random(in: 0..<10, using: &random) {
            case 0: _ = book.deposit(accountID: wallet, funding: funding.id, amount: eur(amount), now: now)
            case 1, 2: _ = book.pay(walletID: wallet, merchantAccountID: merchant.id, amount: eur(amount),
                                    captureMethod: .automatic, now: now)
            case 3, 4: _ = book.pay(walletID: wallet, merchantAccountID: merchant.id, amount: eur(amount),
                                    captureMethod: .manual, holdExpiresAt: now.addingTimeInterval(600), now: now)
            case 5: if let id = paymentIDs.randomElement(using: &random) {
                _ = book.capture(paymentID: id, amountMinor: Bool.random(using: &random) ? nil : amount / 2 + 1, now: now)
            }
            case 6: if let id = paymentIDs.randomElement(using: &random) { _ = book.void(paymentID: id, now: now) }
            case 7: if let id = paymentIDs.randomElement(using: &random) {
                _ = book.refund(paymentID: id, amountMinor: amount / 3 + 1, now: now)
            }
            case 8: now = now.addingTimeInterval(Double(Int.random(in: 1...400, using: &random)))
            default: book.expireDueHolds(now: now)
            }
            let violations = book.invariantViolations()
            #expect(violations.isEmpty, "seed \(seed) step \(step): \(violations)")
            if !violations.isEmpty { return }
        }
    }
}
