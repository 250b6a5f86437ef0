import FacePayCore
import Foundation
import Stores
import Testing

/// The console reads transfers newest first: every backend pages them in both orders, with and
/// without an account filter (an account is on either side of a transfer).
@Suite("store contract: transfer order")
struct TransferOrderContractTests {
    @Test("newest-first pages are the oldest-first ones reversed, page by page through the cursor", arguments: StoreBackend.allCases)
    func bothOrders(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, walletID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            for index in 0..<5 { _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "p\(index)") }
            func all(_ query: TransferQuery) async throws -> [String] {
                var query = query, ids: [String] = []
                while true {
                    let page = try await stores.audit.transfers(query)
                    ids += page.transfers.map(\.id)
                    guard let next = page.nextCursor else { return ids }
                    query.afterSeq = next
                }
            }
            for account in [nil, walletID] {
                let oldest = try await all(TransferQuery(accountID: account, limit: 2))
                let newest = try await all(TransferQuery(accountID: account, limit: 2, newestFirst: true))
                #expect(oldest.count == 6 && newest == Array(oldest.reversed()), "account \(account ?? "any")")
            }
        }
    }
}
