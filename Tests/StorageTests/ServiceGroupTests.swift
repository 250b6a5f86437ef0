import FacePayCore
import Foundation
import GRDB
import Ledger
import Logging
import ServiceLifecycle
import Storage
import Stores
import Testing

@Suite struct ServiceGroupTests {
    /// The writer and the hold-expiry service run in one ServiceGroup; graceful shutdown commits
    /// what was submitted, stops both, and the writer refuses work afterwards.
    @Test func servicesShutDownGracefully() async throws {
        let test = try TestDatabase()
        let clock = ManualWallClock()
        let wallet = try test.wallet(balanceMinor: 100_000, now: clock.now())
        let writer = GroupCommitWriter(database: test.database)
        let expiry = HoldExpiryService(database: test.database, clock: clock, pollInterval: .milliseconds(20))
        let group = ServiceGroup(services: [writer, expiry], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let held = try await writer.submit { db in
                try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 500, method: .manual,
                                                       holdExpiresAt: clock.now().addingTimeInterval(60)), now: clock.now())
            }
            try await withThrowingTaskGroup(of: String.self) { payments in
                for _ in 0..<50 {
                    payments.addTask {
                        try await writer.submit { db in try LedgerStore.pay(db, paymentRequest(wallet: wallet, amountMinor: 10), now: Date()).label }
                    }
                }
                for try await label in payments { #expect(label == "approved") }
            }
            // The expiry service, running in the group, releases the hold once the clock passes it.
            clock.advance(seconds: 61)
            while try test.database.payment(id: held.paymentID!)?.status != .expired {
                try await Task.sleep(for: .milliseconds(10))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await #expect(throws: FacePayError.self) { try await writer.submit { _ in 0 } }
        #expect(try test.account(wallet.id).availableMinor == 100_000 - 500)
        #expect(try test.database.verifyIntegrity().ok)
    }
}
