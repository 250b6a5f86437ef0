import FacePayCore
import Foundation
import Stores
import Testing

/// The erasure journal as every backend must keep it: an erasure outlives the restore of a
/// backup taken before it.
@Suite("store contract: the erasure journal outlives a restore")
struct ErasureJournalContractTests {
    @Test("a journaled erasure the database does not hold (an older backup restored) is made again, audited; the journal gains the database's",
          arguments: StoreBackend.allCases)
    func reapplyAfterRestore(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (kept, _, _) = try await Contract.enrol(stores, depositMinor: 100, frame: Contract.frame(device: kiosk, key: "kept"))
            let (erased, _, _) = try await Contract.enrol(stores, depositMinor: 0, frame: Contract.frame(device: kiosk, key: "erased"))
            let (restored, restoredAccount, _) = try await Contract.enrol(stores, depositMinor: 250, frame: Contract.frame(device: kiosk, key: "restored"))
            _ = try await stores.customers.eraseBiometrics(customerID: erased, captureID: 1, frame: Contract.frame(device: kiosk, key: "erase")) { _ in
                StoredResponse(status: 204, body: Data())
            }
            #expect(try await stores.customers.completeErasure(customerID: erased, erasedAt: Date(), attemptsMax: 20))
            #expect(try stores.erasureJournal.entries().map(\.customerID) == [erased])

            // The state after restoring a backup taken before `restored` asked to be forgotten:
            // the journal names them, the database still holds their template. The journal has
            // also lost the line of `erased` (the database holds that one).
            let erasedAt = Date(timeIntervalSince1970: 1_790_000_000)
            try FileManager.default.removeItem(atPath: stores.erasureJournal.path)
            try stores.erasureJournal.record(customerID: restored, erasedAt: erasedAt)

            #expect(try await stores.reapplyErasureJournal() == [restored])
            #expect(try await stores.customers.customer(id: restored)?.biometricsErasedAt == erasedAt.rfc3339)
            #expect(try await stores.customers.customer(id: kept)?.biometricsErasedAt == nil)
            #expect(try await stores.audit.account(id: restoredAccount)?.availableMinor == 250)
            let events = try await Contract.events(stores, "customer.biometrics_erased")
            #expect(Set(events.map(\.subject)) == [erased, restored] && events.count == 2)
            #expect(events.first { $0.subject == restored }?.detail.contains("\"reapplied_from_journal\":true") == true)
            #expect(Set(try stores.erasureJournal.entries().map(\.customerID)) == [erased, restored])
            // Only `kept` still has a template: erasing again removes nothing more.
            #expect(try await stores.customers.customersWithTemplatesUnused(since: Date().addingTimeInterval(3_600), limit: 10) == [kept])
            #expect(try await stores.reapplyErasureJournal().isEmpty)
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }
}
