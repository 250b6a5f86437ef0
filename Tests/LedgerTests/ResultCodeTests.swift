import FacePayCore
import Foundation
import Ledger
import Testing

/// One test per result code, then the precedence between them.
@Suite struct ResultCodeTests {
    @Test func theOrderOfPrecedenceIsTheDocumentedOne() {
        #expect(LedgerResultCode.allCases.map(\.rawValue) == [
            "amount_must_be_positive", "accounts_must_be_different", "expiry_must_be_in_future",
            "debit_account_not_found", "credit_account_not_found", "payment_not_found", "pending_transfer_not_found",
            "pending_transfer_not_pending", "pending_transfer_already_posted", "pending_transfer_already_voided",
            "pending_transfer_expired", "pending_transfer_not_expired", "payment_not_refundable",
            "account_frozen", "currency_mismatch", "exceeds_pending_transfer_amount", "refund_exceeds_captured",
            "limit_exceeded", "overflow", "insufficient_funds",
        ])
        #expect(LedgerResultCode.accountFrozen < .currencyMismatch)
        #expect(LedgerResultCode.currencyMismatch < .limitExceeded)
        #expect(LedgerResultCode.limitExceeded < .insufficientFunds)
        #expect(LedgerResultCode.allCases.filter(\.isPaymentDecline)
            == [.accountFrozen, .currencyMismatch, .limitExceeded, .insufficientFunds])
    }

    @Test func amountMustBePositive() {
        var fixture = LedgerFixture()
        #expect(fixture.pay(0).code == "amount_must_be_positive")
        #expect(fixture.pay(-5).code == "amount_must_be_positive")
        let payment = fixture.authorize(100)
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: 0, now: fixture.now).resultCode == .amountMustBePositive)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 0, now: fixture.now).resultCode == .amountMustBePositive)
        #expect(fixture.book.deposit(accountID: fixture.wallet.id, funding: fixture.funding.id, amount: eur(-1), now: start)
            .resultCode == .amountMustBePositive)
    }

    @Test func accountsMustBeDifferent() {
        let fixture = LedgerFixture()
        let proposal = TransferProposal(id: "trf_x", kind: .payment, debitAccountID: fixture.wallet.id,
                                        creditAccountID: fixture.wallet.id, amountMinor: 1, currency: eur)
        #expect(TransferRules.decide(proposal, debit: fixture.walletNow, credit: fixture.walletNow, hold: nil, now: start)
            .resultCode == .accountsMustBeDifferent)
    }

    @Test func expiryMustBeInFuture() {
        var fixture = LedgerFixture()
        let decision = fixture.book.pay(walletID: fixture.wallet.id, merchantAccountID: fixture.merchant.id, amount: eur(10),
                                        captureMethod: .manual, holdExpiresAt: start, now: start)
        #expect(decision.code == "expiry_must_be_in_future")
        let missing = fixture.book.pay(walletID: fixture.wallet.id, merchantAccountID: fixture.merchant.id, amount: eur(10),
                                       captureMethod: .manual, holdExpiresAt: nil, now: start)
        #expect(missing.code == "expiry_must_be_in_future")
    }

    @Test func accountsNotFound() {
        var fixture = LedgerFixture()
        #expect(fixture.book.pay(walletID: "acc_missing", merchantAccountID: fixture.merchant.id, amount: eur(10),
                                 captureMethod: .automatic, now: start).code == "debit_account_not_found")
        #expect(fixture.book.pay(walletID: fixture.wallet.id, merchantAccountID: "acc_missing", amount: eur(10),
                                 captureMethod: .automatic, now: start).code == "credit_account_not_found")
    }

    @Test func paymentNotFound() {
        var fixture = LedgerFixture()
        #expect(fixture.book.capture(paymentID: "pay_missing", amountMinor: nil, now: start).resultCode == .paymentNotFound)
        #expect(fixture.book.void(paymentID: "pay_missing", now: start).resultCode == .paymentNotFound)
        #expect(fixture.book.refund(paymentID: "pay_missing", amountMinor: 1, now: start).resultCode == .paymentNotFound)
    }

    @Test func pendingTransferNotFoundForAnAutomaticPayment() {
        var fixture = LedgerFixture()
        let payment = fixture.pay(100).step!.payment
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: nil, now: start).resultCode == .pendingTransferNotFound)
        #expect(fixture.book.void(paymentID: payment.id, now: start).resultCode == .pendingTransferNotFound)
    }

    @Test func pendingTransferNotPending() {
        var fixture = LedgerFixture()
        let posted = fixture.pay(100).step!.effect.transfer
        let proposal = TransferProposal.resolving(posted, kind: .void, id: "trf_void")
        let outcome = TransferRules.decide(proposal, debit: fixture.walletNow, credit: fixture.merchantNow,
                                           hold: HoldState(hold: posted, resolution: nil), now: start)
        #expect(outcome.resultCode == .pendingTransferNotPending)
    }

    @Test func pendingTransferAlreadyPostedVoidedOrExpired() {
        var fixture = LedgerFixture()
        let captured = fixture.authorize(100)
        _ = fixture.book.capture(paymentID: captured.id, amountMinor: nil, now: start)
        #expect(fixture.book.capture(paymentID: captured.id, amountMinor: nil, now: start).resultCode == .pendingTransferAlreadyPosted)
        #expect(fixture.book.void(paymentID: captured.id, now: start).resultCode == .pendingTransferAlreadyPosted)

        let voided = fixture.authorize(100)
        _ = fixture.book.void(paymentID: voided.id, now: start)
        #expect(fixture.book.capture(paymentID: voided.id, amountMinor: nil, now: start).resultCode == .pendingTransferAlreadyVoided)

        let expired = fixture.authorize(100)
        let later = start.addingTimeInterval(3600)
        fixture.book.expireDueHolds(now: later)
        #expect(fixture.book.capture(paymentID: expired.id, amountMinor: nil, now: later).resultCode == .pendingTransferExpired)
        #expect(fixture.book.void(paymentID: expired.id, now: later).resultCode == .pendingTransferExpired)
    }

    @Test func aHoldPastItsExpiryCannotBeCapturedEvenBeforeTheExpiryIsPosted() {
        var fixture = LedgerFixture()
        let payment = fixture.authorize(100)
        let later = start.addingTimeInterval(3600)
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: nil, now: later).resultCode == .pendingTransferExpired)
        #expect(fixture.walletNow.debitsPending == 100)
    }

    @Test func pendingTransferNotExpired() {
        var fixture = LedgerFixture()
        let payment = fixture.authorize(100)
        let outcome = PaymentRules.expire(payment, hold: fixture.book.holdState(payment.holdTransferID),
                                          wallet: fixture.walletNow, merchantAccount: fixture.merchantNow,
                                          transferID: "trf_expiry", now: start)
        #expect(outcome.resultCode == .pendingTransferNotExpired)
    }

    @Test func paymentNotRefundable() {
        var fixture = LedgerFixture()
        let held = fixture.authorize(100)
        #expect(fixture.book.refund(paymentID: held.id, amountMinor: 10, now: start).resultCode == .paymentNotRefundable)
        let declined = fixture.pay(1_000_000)
        guard case .declined(let payment) = declined else { Issue.record("expected a decline"); return }
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 10, now: start).resultCode == .paymentNotRefundable)
    }

    @Test func accountFrozen() {
        var fixture = LedgerFixture()
        fixture.book.setFrozen(true, accountID: fixture.merchant.id)
        #expect(fixture.pay(10).code == "account_frozen")
    }

    @Test func currencyMismatch() {
        var fixture = LedgerFixture()
        #expect(fixture.pay(10, currency: usd).code == "currency_mismatch")
        #expect(fixture.book.deposit(accountID: fixture.wallet.id, funding: fixture.funding.id,
                                     amount: Money(amountMinor: 5, currency: usd), now: start).resultCode == .currencyMismatch)
    }

    @Test func exceedsPendingTransferAmount() {
        var fixture = LedgerFixture()
        let payment = fixture.authorize(100)
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: 101, now: start).resultCode == .exceedsPendingTransferAmount)
    }

    @Test func refundExceedsCaptured() {
        var fixture = LedgerFixture()
        let payment = fixture.authorize(100)
        _ = fixture.book.capture(paymentID: payment.id, amountMinor: 40, now: start)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 41, now: start).resultCode == .refundExceedsCaptured)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 40, now: start).value != nil)
    }

    @Test func overflowIsRefusedNeverWrapped() {
        var book = LedgerBook()
        let funding = book.createAccount(kind: .systemFunding, ownerID: "system", currency: eur, now: start)
        let wallet = book.createAccount(kind: .customerWallet, ownerID: "cus_1", currency: eur, now: start)
        #expect(book.deposit(accountID: wallet.id, funding: funding.id, amount: eur(.max), now: start).value != nil)
        #expect(book.deposit(accountID: wallet.id, funding: funding.id, amount: eur(1), now: start).resultCode == .overflow)
        #expect(book.account(wallet.id)!.creditsPosted == .max)
        #expect(book.invariantViolations().isEmpty)
    }

    @Test func insufficientFunds() {
        var fixture = LedgerFixture(balance: 100)
        #expect(fixture.pay(101).code == "insufficient_funds")
        #expect(fixture.pay(101, .manual).code == "insufficient_funds")
        #expect(fixture.pay(100).step != nil)
        #expect(fixture.walletNow.availableMinor == 0)
    }

    @Test func declinesAreRecordedRejectionsAreNot() {
        var fixture = LedgerFixture(balance: 100)
        guard case .declined(let payment) = fixture.pay(500) else { Issue.record("expected a decline"); return }
        #expect(payment.status == .declined)
        #expect(payment.declineCode == "insufficient_funds")
        #expect(fixture.book.payments[payment.id] == payment)
        let before = fixture.book.payments.count
        #expect(fixture.pay(0).code == "amount_must_be_positive")
        #expect(fixture.book.payments.count == before)
    }

    // MARK: Precedence

    /// Every combination of the four decline conditions yields the highest-precedence one.
    @Test(arguments: 1..<16)
    func declinePrecedence(mask: Int) {
        let frozen = mask & 1 != 0, wrongCurrency = mask & 2 != 0, overLimit = mask & 4 != 0, overBalance = mask & 8 != 0
        var fixture = LedgerFixture(balance: 100, paymentLimitMinor: overLimit ? 50 : nil)
        if frozen { fixture.book.setFrozen(true, accountID: fixture.wallet.id) }
        let amount: Int64 = overBalance ? 150 : (overLimit ? 60 : 10)
        // With the wrong currency the merchant account must also be in USD so only the wallet mismatches.
        var merchantID = fixture.merchant.id
        if wrongCurrency {
            merchantID = fixture.book.createAccount(kind: .merchant, ownerID: "M-USD", currency: usd, now: start).id
        }
        let decision = fixture.book.pay(walletID: fixture.wallet.id, merchantAccountID: merchantID,
                                        amount: Money(amountMinor: amount, currency: wrongCurrency ? usd : eur),
                                        captureMethod: .automatic, now: start)
        var failing: [LedgerResultCode] = []
        if frozen { failing.append(.accountFrozen) }
        if wrongCurrency { failing.append(.currencyMismatch) }
        if overLimit { failing.append(.limitExceeded) }
        if overBalance { failing.append(.insufficientFunds) }
        #expect(decision.code == failing.min()!.rawValue, "mask \(mask)")
    }

    @Test func requestErrorsComeBeforeDeclines() {
        var fixture = LedgerFixture(balance: 0)
        fixture.book.setFrozen(true, accountID: fixture.wallet.id)
        #expect(fixture.pay(0).code == "amount_must_be_positive")
        #expect(fixture.book.pay(walletID: fixture.wallet.id, merchantAccountID: "acc_missing", amount: eur(10),
                                 captureMethod: .automatic, now: start).code == "credit_account_not_found")
    }

    @Test func holdStateComesBeforeAmountChecks() {
        var fixture = LedgerFixture()
        let payment = fixture.authorize(100)
        _ = fixture.book.void(paymentID: payment.id, now: start)
        // Both voided and over the held amount: the hold's state wins.
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: 500, now: start).resultCode == .pendingTransferAlreadyVoided)
    }

    @Test func frozenComesBeforeRefundExceedsCaptured() {
        var fixture = LedgerFixture()
        let payment = fixture.pay(100).step!.payment
        fixture.book.setFrozen(true, accountID: fixture.merchant.id)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 500, now: start).resultCode == .accountFrozen)
    }
}
