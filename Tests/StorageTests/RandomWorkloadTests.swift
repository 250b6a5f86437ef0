import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

@Suite struct RandomWorkloadTests {
    /// A seeded random workload of deposits, payments, holds, captures, voids, expiries (by the
    /// hold-expiry service on a ManualWallClock) and refunds, run against SQLite and against the
    /// in-memory reference book: every decision agrees, every invariant holds, verify is clean.
    @Test func randomWorkloadMatchesTheModelAndVerifies() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["LEDGER_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("RandomWorkloadTests seed: \(seed) (re-run with LEDGER_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let expiry = HoldExpiryService(database: test.database, clock: clock, batchSizeMax: 3)

        var model = LedgerBook()
        let modelFunding = model.createAccount(kind: .systemFunding, ownerID: "system", currency: eur, now: clock.now())
        let modelMerchant = model.createAccount(kind: .merchant, ownerID: merchantID, currency: eur, now: clock.now())
        var modelWallets: [String] = []
        var storeWallets: [Account] = []
        for index in 0..<4 {
            let limit: Int64? = index == 0 ? 3_000 : nil
            modelWallets.append(model.createAccount(kind: .customerWallet, ownerID: "cus_\(index)", currency: eur,
                                                    dailyLimitMinor: limit, now: clock.now()).id)
            storeWallets.append(try test.wallet("cus_\(index)", balanceMinor: 0, dailyLimitMinor: limit, now: clock.now()))
        }
        let wallets = storeWallets
        if freezesLastWallet(seed) {
            model.setFrozen(true, accountID: modelWallets[3])
            try await test.database.pool.write { db in
                try LedgerStore.setFrozen(db, accountID: wallets[3].id, frozen: true, actor: "operator", now: clock.now())
            }
        }
        var modelPayments: [String] = []
        var storePayments: [String] = []
        var incrementallyChecked = 0

        func label<T>(_ outcome: LedgerOutcome<T>) -> String { outcome.resultCode?.rawValue ?? "accepted" }

        for step in 0..<600 {
            let walletIndex = Int.random(in: 0..<4, using: &random)
            let amount = Int64.random(in: 1...1_500, using: &random)
            let pick = storePayments.isEmpty ? nil : Int.random(in: 0..<storePayments.count, using: &random)
            let now = clock.now()
            let walletID = wallets[walletIndex].id
            let storePaymentID = pick.map { storePayments[$0] } ?? ""
            var modelLabel = "", storeLabel = ""
            switch Int.random(in: 0..<12, using: &random) {
            case 0, 1:
                modelLabel = label(model.deposit(accountID: modelWallets[walletIndex], funding: modelFunding.id, amount: eur(amount), now: now))
                storeLabel = label(try await test.database.pool.write { db in
                    try LedgerStore.deposit(db, accountID: walletID, amount: eur(amount), deviceID: kioskID,
                                            actor: kioskID, now: now)
                })
            case 2, 3, 4, 5:
                let manual = Bool.random(using: &random)
                let expiresAt = now.addingTimeInterval(Double(Int.random(in: 60...1_800, using: &random)))
                let modelDecision = model.pay(walletID: modelWallets[walletIndex], merchantAccountID: modelMerchant.id, amount: eur(amount),
                                              captureMethod: manual ? .manual : .automatic, holdExpiresAt: expiresAt, now: now)
                let request = paymentRequest(wallet: storeWallets[walletIndex], amountMinor: amount, method: manual ? .manual : .automatic,
                                             holdExpiresAt: expiresAt)
                let storeDecision = try await test.database.pool.write { db in try LedgerStore.pay(db, request, now: now) }
                modelLabel = modelDecision.label
                storeLabel = storeDecision.label
                if let id = modelDecision.paymentID { modelPayments.append(id) }
                if let id = storeDecision.paymentID { storePayments.append(id) }
            case 6, 7:
                guard let pick else { continue }
                let captureAmount: Int64? = Bool.random(using: &random) ? nil : amount
                modelLabel = label(model.capture(paymentID: modelPayments[pick], amountMinor: captureAmount, now: now))
                storeLabel = label(try await test.database.pool.write { db in
                    try LedgerStore.capture(db, paymentID: storePaymentID, amountMinor: captureAmount, deviceID: terminalID, now: now)
                })
            case 8:
                guard let pick else { continue }
                modelLabel = label(model.void(paymentID: modelPayments[pick], now: now))
                storeLabel = label(try await test.database.pool.write { db in
                    try LedgerStore.void(db, paymentID: storePaymentID, deviceID: terminalID, now: now)
                })
            case 9:
                guard let pick else { continue }
                let refundAmount = amount / 4 + 1
                modelLabel = label(model.refund(paymentID: modelPayments[pick], amountMinor: refundAmount, now: now))
                storeLabel = label(try await test.database.pool.write { db in
                    try LedgerStore.refund(db, paymentID: storePaymentID, amountMinor: refundAmount, deviceID: terminalID, now: now)
                })
            case 10:
                clock.advance(seconds: Double(Int.random(in: 1...600, using: &random)))
                continue
            default:
                modelLabel = "\(model.expireDueHolds(now: now).count) expired"
                storeLabel = "\(try await expiry.expireDueHolds().count) expired"
            }
            #expect(modelLabel == storeLabel, "seed \(seed) step \(step)")
            if modelLabel != storeLabel { return }
            // Incremental verification along the way: holds left open by one run are resolved
            // after it, accounts are touched again, and every run must agree with the full one.
            if step % 50 == 49 {
                let run = try await test.database.verifyIntegrityIncrementally()
                #expect(run.report.ok, "seed \(seed) step \(step): \(run.report.problems)")
                incrementallyChecked += run.report.transfersChecked
            }
        }

        #expect(model.invariantViolations().isEmpty, "seed \(seed)")
        for (modelID, stored) in zip(modelWallets, storeWallets) {
            let expected = model.account(modelID)!
            let actual = try test.account(stored.id)
            #expect([actual.debitsPending, actual.debitsPosted, actual.creditsPending, actual.creditsPosted]
                    == [expected.debitsPending, expected.debitsPosted, expected.creditsPending, expected.creditsPosted],
                    "seed \(seed) wallet \(stored.ownerID)")
            #expect(actual.availableMinor >= 0)
        }
        for (modelID, storeID) in zip(modelPayments, storePayments) {
            let expected = model.payments[modelID]!
            let actual = try #require(try test.database.payment(id: storeID))
            #expect([expected.status.rawValue, "\(expected.capturedMinor)", "\(expected.refundedMinor)"]
                    == [actual.status.rawValue, "\(actual.capturedMinor)", "\(actual.refundedMinor)"], "seed \(seed) payment \(storeID)")
        }
        let report = try test.database.verifyIntegrity()
        #expect(report.ok, "seed \(seed): \(report.problems)")
        #expect(report.transfersChecked == model.transfers.count)
        let last = try await test.database.verifyIntegrityIncrementally()
        #expect(last.report.ok, "seed \(seed): \(last.report.problems)")
        #expect(incrementallyChecked + last.report.transfersChecked == model.transfers.count, "each transfer checked once incrementally")
    }

    private func freezesLastWallet(_ seed: UInt64) -> Bool { seed % 2 == 0 }
}

func eur(_ minor: Int64) -> Money { Money(amountMinor: minor, currency: eur) }
