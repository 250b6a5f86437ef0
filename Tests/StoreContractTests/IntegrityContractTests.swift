import FacePayCore
import Foundation
import Stores
import Testing

/// The integrity check as every backend must run it: incremental from the last clean run.
@Suite("store contract: incremental verification")
struct IntegrityContractTests {
    @Test("each run checks only what came after the last clean one, and finds a counter an insider changed on an account touched since",
          arguments: StoreBackend.allCases)
    func incremental(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, walletID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 100, key: "p1")
            let first = try await stores.audit.verifyIntegrity(newSinceLastRun: 10)
            #expect(first.ok && first.mode == .incremental, "\(first.problems)")
            #expect(first.transfersChecked == 2)  // the deposit and the payment

            // A hold and its capture: two transfers, and the hold's resolution.
            let (held, status, _) = try await Contract.pay(stores, customerID: customerID, amountMinor: 50, key: "p2", manual: true)
            #expect(status == "authorized")
            #expect(try await Contract.change(stores, .capture(amountMinor: 40), held, key: "c2").step != nil)
            let second = try await stores.audit.verifyIntegrity(newSinceLastRun: 10)
            #expect(second.ok, "\(second.problems)")
            #expect(second.transfersChecked == 2)
            #expect(second.eventsChecked > 0 && second.eventsChecked < first.eventsChecked + second.eventsChecked)
            #expect(second.head.seq > first.head.seq)
            let idle = try await stores.audit.verifyIntegrity(newSinceLastRun: 10)
            #expect(idle.ok && idle.transfersChecked == 0 && idle.eventsChecked == 0 && idle.head == second.head)

            // An insider adds 1 to the wallet's posted debits; the next payment touches the wallet.
            try await stores.tamper("UPDATE accounts SET debits_posted = debits_posted + 1 WHERE id = '\(walletID)'")
            _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "p3")
            let third = try await stores.audit.verifyIntegrity(newSinceLastRun: 10)
            #expect(!third.ok)
            #expect(third.problems.contains { $0.table == "accounts" && $0.row == walletID }, "\(third.problems)")
            // A failed run does not move the state: the next one finds it again.
            #expect(try await !stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }
}
