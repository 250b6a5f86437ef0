import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

@Suite struct LedgerStoreTests {
    @Test func automaticPaymentWritesTransferCountersPaymentAndAuditTogether() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        let events = try test.count("SELECT count(*) FROM audit_events")
        let decision = try test.database.pool.write { db in
            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 250), auditDetail: ["liveness": "passed"], now: Date())
        }
        let step = try #require({ if case .accepted(let step) = decision { step } else { nil } }())
        #expect(step.payment.status == .approved)
        #expect(try test.account(wallet.id).availableMinor == 750)
        let merchant = try #require(try test.database.pool.read { db in
            try LedgerStore.account(db, kind: .merchant, ownerID: merchantID, currency: eur)
        })
        #expect(merchant.creditsPosted == 250)
        let stored = try #require(try test.database.payment(id: step.payment.id))
        #expect(stored == step.payment)
        // merchant account opened + payment approved
        #expect(try test.count("SELECT count(*) FROM audit_events") == events + 2)
        let event = try #require(try test.database.auditEvents(AuditEventQuery(action: "payment.approved")).events.first)
        #expect(event.subject == step.payment.id)
        #expect(event.actor == terminalID)
        #expect(event.detail.contains("\"liveness\":\"passed\""))
        #expect(event.detail.contains("\"transfer_id\":\"\(step.effect.transfer.id)\""))
        #expect(try test.database.verifyIntegrity().ok)
    }

    @Test func declineIsRecordedWithoutMovingMoney() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 100)
        let decision = try test.database.pool.write { db in
            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 101), now: Date())
        }
        #expect(decision.label == "declined:insufficient_funds")
        let payment = try #require(try test.database.payment(id: decision.paymentID!))
        #expect(payment.status == .declined)
        #expect(try test.count("SELECT count(*) FROM transfers WHERE kind = 'payment'") == 0)
        #expect(try test.count("SELECT count(*) FROM audit_events WHERE action = 'payment.declined'") == 1)
        #expect(try test.account(wallet.id).availableMinor == 100)
    }

    @Test func rejectionWritesNothing() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 100)
        let before = try test.count("SELECT count(*) FROM audit_events")
        var request = paymentRequest(wallet: wallet, amountMinor: 10)
        request.walletAccountID = "acc_missing"
        let decision = try test.database.pool.write { db in try LedgerStore.pay(db, request, now: Date()) }
        #expect(decision.label == "rejected:debit_account_not_found")
        #expect(try test.count("SELECT count(*) FROM audit_events") == before)
        #expect(try test.count("SELECT count(*) FROM payments") == 0)
        #expect(try test.count("SELECT count(*) FROM accounts WHERE kind = 'merchant'") == 0)
    }

    @Test func authorizeCaptureRefund() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        let now = Date()
        let decision = try test.database.pool.write { db in
            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 600, method: .manual), now: now)
        }
        #expect(decision.label == "authorized")
        let paymentID = try #require(decision.paymentID)
        let held = try test.account(wallet.id)
        #expect(held.debitsPending == 600)
        #expect(held.availableMinor == 400)
        let payment = try #require(try test.database.payment(id: paymentID))
        #expect(payment.expiresAt.map { abs($0.timeIntervalSince(now) - PaymentRules.holdDurationSecondsDefault) < 1 } == true)

        let capture = try test.database.pool.write { db in
            try LedgerStore.capture(db, paymentID: paymentID, amountMinor: 450, deviceID: terminalID, now: now)
        }
        #expect(capture.value?.payment.status == .captured)
        #expect(try test.account(wallet.id).availableMinor == 550)
        let second = try test.database.pool.write { db in
            try LedgerStore.capture(db, paymentID: paymentID, amountMinor: 1, deviceID: terminalID, now: now)
        }
        #expect(second.resultCode == .pendingTransferAlreadyPosted)

        let refund = try test.database.pool.write { db in
            try LedgerStore.refund(db, paymentID: paymentID, amountMinor: 200, deviceID: terminalID, now: now)
        }
        #expect(refund.value?.payment.refundedMinor == 200)
        let tooMuch = try test.database.pool.write { db in
            try LedgerStore.refund(db, paymentID: paymentID, amountMinor: 251, deviceID: terminalID, now: now)
        }
        #expect(tooMuch.resultCode == .refundExceedsCaptured)
        #expect(try test.account(wallet.id).availableMinor == 750)
        #expect(try test.database.pool.read { db in try LedgerStore.refunds(db, paymentID: paymentID) }.count == 1)
        #expect(try test.database.verifyIntegrity().ok)
    }

    @Test func voidReleasesTheHold() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        let decision = try test.database.pool.write { db in
            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 600, method: .manual), now: Date())
        }
        let outcome = try test.database.pool.write { db in
            try LedgerStore.void(db, paymentID: decision.paymentID!, deviceID: terminalID, now: Date())
        }
        #expect(outcome.value?.payment.status == .voided)
        #expect(try test.account(wallet.id).availableMinor == 1_000)
        #expect(try test.account(wallet.id).debitsPending == 0)
        #expect(try test.database.verifyIntegrity().ok)
    }

    @Test func dailyLimitIsCountedFromStoredPayments() throws {
        let test = try TestDatabase()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let wallet = try test.wallet(balanceMinor: 10_000, dailyLimitMinor: 1_000, now: now)
        func pay(_ amount: Int64, at time: Date) throws -> String {
            try test.database.pool.write { db in try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: amount), now: time) }.label
        }
        #expect(try pay(700, at: now) == "approved")
        #expect(try pay(301, at: now) == "declined:limit_exceeded")
        #expect(try pay(300, at: now) == "approved")
        #expect(try pay(1_000, at: UTCDay.bounds(containing: now).end) == "approved")
    }

    @Test func frozenWalletIsDeclined() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        try test.database.pool.write { db in
            try LedgerStore.setFrozen(db, accountID: wallet.id, frozen: true, actor: LedgerStore.operatorActor, now: Date())
        }
        let decision = try test.database.pool.write { db in
            try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 1), now: Date())
        }
        #expect(decision.label == "declined:account_frozen")
    }

    @Test func depositOpensTheFundingAccountOnlyWhenAccepted() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 0)
        let refused = try test.database.pool.write { db in
            try LedgerStore.deposit(db, accountID: wallet.id, amount: Money(amountMinor: 5, currency: usd), deviceID: kioskID,
                                    actor: kioskID, now: Date())
        }
        #expect(refused.resultCode == .currencyMismatch)
        #expect(try test.count("SELECT count(*) FROM accounts WHERE kind = 'system_funding'") == 0)
        #expect(throws: FacePayError.self) {
            try test.database.pool.write { db in
                let merchant = try LedgerStore.ensureAccount(db, kind: .merchant, ownerID: merchantID, currency: eur,
                                                             actor: LedgerStore.operatorActor, now: Date())
                return try LedgerStore.deposit(db, accountID: merchant.id, amount: Money(amountMinor: 5, currency: eur),
                                               deviceID: nil, actor: LedgerStore.operatorActor, now: Date())
            }
        }
    }

    @Test func nonLedgerDeclinesAreRecorded() throws {
        let test = try TestDatabase()
        let payment = try test.database.pool.write { db in
            try LedgerStore.recordDeclinedPayment(db, paymentID: Identifier.make(.payment), amount: Money(amountMinor: 100, currency: eur),
                                                  captureMethod: .automatic, declineCode: "liveness_failed", merchantID: merchantID,
                                                  deviceID: terminalID, auditDetail: ["failed_checks": ["blink"]], now: Date())
        }
        #expect(try test.database.payment(id: payment.id)?.declineCode == "liveness_failed")
        #expect(try test.count("SELECT count(*) FROM audit_events WHERE action = 'payment.declined' AND subject = ?", [payment.id]) == 1)
    }

    @Test func transferPagesAndFilters() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 1_000)
        for _ in 0..<5 {
            _ = try test.database.pool.write { db in try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 10), now: Date()) }
        }
        let first = try test.database.transfers(TransferQuery(accountID: wallet.id, limit: 4))
        #expect(first.transfers.count == 4)
        let cursor = try #require(first.nextCursor)
        let second = try test.database.transfers(TransferQuery(accountID: wallet.id, afterSeq: cursor, limit: 4))
        #expect(second.transfers.count == 2)
        #expect(second.nextCursor == nil)
        #expect(try test.database.transfers(TransferQuery(merchantID: merchantID)).transfers.count == 5)
        #expect(try test.database.transfers(TransferQuery(deviceID: terminalID)).transfers.count == 5)
        #expect(try test.database.transfers(TransferQuery(until: Date(timeIntervalSince1970: 0))).transfers.isEmpty)
    }
}
