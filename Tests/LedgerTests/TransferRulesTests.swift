import FacePayCore
import Foundation
import Ledger
import Testing

@Suite struct TransferRulesTests {
    @Test func depositPostsCreditsToTheWalletAndDebitsToFunding() {
        let fixture = LedgerFixture(balance: 5_000)
        #expect(fixture.walletNow.creditsPosted == 5_000)
        #expect(fixture.walletNow.availableMinor == 5_000)
        #expect(fixture.book.account(fixture.funding.id)!.debitsPosted == 5_000)
        #expect(fixture.book.invariantViolations().isEmpty)
    }

    @Test func automaticPaymentPostsAtOnce() throws {
        var fixture = LedgerFixture(balance: 1_000)
        let step = try #require(fixture.pay(400).step)
        #expect(step.payment.status == .approved)
        #expect(step.payment.capturedMinor == 400)
        #expect(step.effect.transfer.kind == .payment)
        #expect(fixture.walletNow.availableMinor == 600)
        #expect(fixture.merchantNow.creditsPosted == 400)
    }

    @Test func pendingHoldsCountAgainstTheBalance() throws {
        var fixture = LedgerFixture(balance: 100)
        let payment = fixture.authorize(60)
        #expect(fixture.walletNow.debitsPending == 60)
        #expect(fixture.walletNow.availableMinor == 40)
        #expect(fixture.pay(50).code == "insufficient_funds")
        #expect(fixture.book.void(paymentID: payment.id, now: fixture.now).value?.payment.status == .voided)
        #expect(fixture.walletNow.debitsPending == 0)
        #expect(fixture.pay(50).step != nil)
        #expect(fixture.book.invariantViolations().isEmpty)
    }

    @Test func partialCaptureReleasesTheRest() throws {
        var fixture = LedgerFixture(balance: 1_000)
        let payment = fixture.authorize(500)
        let step = try #require(fixture.book.capture(paymentID: payment.id, amountMinor: 300, now: fixture.now).value)
        #expect(step.payment.status == .captured)
        #expect(step.payment.capturedMinor == 300)
        #expect(step.effect.transfer.pendingID == payment.holdTransferID)
        #expect(fixture.walletNow.debitsPending == 0)
        #expect(fixture.walletNow.debitsPosted == 300)
        #expect(fixture.walletNow.availableMinor == 700)
        #expect(fixture.merchantNow.creditsPending == 0)
        #expect(fixture.merchantNow.creditsPosted == 300)
        #expect(fixture.book.invariantViolations().isEmpty)
    }

    @Test func fullCaptureWhenNoAmountIsGiven() throws {
        var fixture = LedgerFixture(balance: 1_000)
        let payment = fixture.authorize(500)
        let step = try #require(fixture.book.capture(paymentID: payment.id, amountMinor: nil, now: fixture.now).value)
        #expect(step.payment.capturedMinor == 500)
        #expect(fixture.walletNow.availableMinor == 500)
    }

    @Test func expiryReleasesAHoldOnlyOnceDue() {
        var fixture = LedgerFixture(balance: 1_000)
        let payment = fixture.authorize(500)
        #expect(fixture.book.expireDueHolds(now: fixture.now.addingTimeInterval(3599)).isEmpty)
        #expect(fixture.book.expireDueHolds(now: fixture.now.addingTimeInterval(3600)) == [payment.id])
        #expect(fixture.book.payments[payment.id]?.status == .expired)
        #expect(fixture.walletNow.availableMinor == 1_000)
        #expect(fixture.book.invariantViolations().isEmpty)
    }

    @Test func refundsAreBoundedByWhatWasCaptured() {
        var fixture = LedgerFixture(balance: 1_000)
        let payment = fixture.pay(400).step!.payment
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 150, now: fixture.now).value?.payment.refundedMinor == 150)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 250, now: fixture.now).value?.payment.refundedMinor == 400)
        #expect(fixture.book.refund(paymentID: payment.id, amountMinor: 1, now: fixture.now).resultCode == .refundExceedsCaptured)
        #expect(fixture.walletNow.availableMinor == 1_000)
        #expect(fixture.book.refunds.count == 2)
        #expect(fixture.book.invariantViolations().isEmpty)
    }

    @Test func frozenAccountsMoveNoMoneyButHoldsCanStillBeReleased() {
        var fixture = LedgerFixture(balance: 1_000)
        let payment = fixture.authorize(300)
        fixture.book.setFrozen(true, accountID: fixture.wallet.id)
        #expect(fixture.pay(10).code == "account_frozen")
        #expect(fixture.book.capture(paymentID: payment.id, amountMinor: nil, now: fixture.now).resultCode == .accountFrozen)
        #expect(fixture.book.deposit(accountID: fixture.wallet.id, funding: fixture.funding.id, amount: eur(5), now: fixture.now)
            .resultCode == .accountFrozen)
        #expect(fixture.book.void(paymentID: payment.id, now: fixture.now).value != nil)
        #expect(fixture.walletNow.availableMinor == 1_000)
    }

    @Test func dailyLimitCountsPaymentsAndLiveHoldsOfTheUTCDay() throws {
        var fixture = LedgerFixture(balance: 10_000, dailyLimitMinor: 1_000)
        #expect(fixture.pay(600).step != nil)
        let hold = fixture.authorize(300)
        #expect(fixture.pay(101).code == "limit_exceeded")
        // A voided hold gives its share of the limit back.
        _ = fixture.book.void(paymentID: hold.id, now: fixture.now)
        #expect(fixture.pay(400).step != nil)
        #expect(fixture.pay(1).code == "limit_exceeded")
        // The next UTC day starts afresh.
        fixture.now = UTCDay.bounds(containing: fixture.now).end
        #expect(fixture.pay(1_000).step != nil)
    }

    @Test func perPaymentLimit() {
        var fixture = LedgerFixture(balance: 10_000, paymentLimitMinor: 500)
        #expect(fixture.pay(501).code == "limit_exceeded")
        #expect(fixture.pay(500).step != nil)
        #expect(fixture.pay(501, .manual).code == "limit_exceeded")
    }
}
