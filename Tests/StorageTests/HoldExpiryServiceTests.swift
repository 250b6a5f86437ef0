import FacePayCore
import Foundation
import GRDB
import Ledger
import ServiceLifecycle
@testable import Storage
import Stores
import Testing

@Suite struct HoldExpiryServiceTests {
    @Test func holdsExpireOnlyOnceTheClockPassesTheirExpiry() async throws {
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let wallet = try test.wallet(balanceMinor: 1_000, now: clock.now())
        var collected: [String] = []
        for minutes in [10.0, 20.0, 30.0] {
            let request = paymentRequest(wallet: wallet, amountMinor: 100, method: .manual,
                                         holdExpiresAt: clock.now().addingTimeInterval(minutes * 60))
            let decision = try await test.database.pool.write { db in try LedgerStore.pay(db, request, now: clock.now()) }
            collected.append(try #require(decision.paymentID))
        }
        let service = HoldExpiryService(database: test.database, clock: clock, batchSizeMax: 1)
        let paymentIDs = collected
        #expect(try await service.expireDueHolds().isEmpty)
        clock.advance(seconds: 20 * 60)
        #expect(try await service.expireDueHolds() == Array(paymentIDs.prefix(2)))
        #expect(try test.account(wallet.id).debitsPending == 100)
        #expect(try test.database.payment(id: paymentIDs[0])?.status == .expired)
        #expect(try test.count("SELECT count(*) FROM audit_events WHERE action = 'payment.expired' AND actor = 'system'") == 2)
        let late = try await test.database.pool.write { db in
            try LedgerStore.capture(db, paymentID: paymentIDs[0], amountMinor: nil, deviceID: terminalID, now: clock.now())
        }
        #expect(late.resultCode == .pendingTransferExpired)
        clock.advance(seconds: 3600)
        #expect(try await service.expireDueHolds() == [paymentIDs[2]])
        #expect(try test.account(wallet.id).availableMinor == 1_000)
        #expect(try test.database.verifyIntegrity().ok)
    }

    @Test func runsAsAServiceAndStopsWhenCancelled() async throws {
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let wallet = try test.wallet(balanceMinor: 1_000, now: clock.now())
        let request = paymentRequest(wallet: wallet, amountMinor: 100, method: .manual, holdExpiresAt: clock.now().addingTimeInterval(60))
        let decision = try await test.database.pool.write { db in try LedgerStore.pay(db, request, now: clock.now()) }
        clock.advance(seconds: 61)
        let service = HoldExpiryService(database: test.database, clock: clock, pollInterval: .milliseconds(10))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            while try test.database.payment(id: decision.paymentID!)?.status != .expired {
                try await Task.sleep(for: .milliseconds(5))
            }
            group.cancelAll()
        }
        #expect(try test.account(wallet.id).availableMinor == 1_000)
    }
}
