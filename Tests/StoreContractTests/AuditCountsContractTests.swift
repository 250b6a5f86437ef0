import FacePayCore
import Foundation
import Stores
import Testing

/// The console overview's counts as every backend must keep them: folded exactly once from the
/// audit log, even by several folders at once, into a number of rows that does not grow with it.
@Suite("store contract: overview counts")
struct AuditCountsContractTests {
    @Test("racing folders count every event once; more of the same events add to the counts, not to the rows", arguments: StoreBackend.allCases)
    func foldOnce(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            guard let counts = stores.audit as? any AuditCountStore else { Issue.record("the backend keeps no counts"); return }
            let (customerID, _, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            func round(_ name: String) async throws {
                for index in 0..<5 { _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "\(name)-\(index)") }
                let (_, declined, _) = try await Contract.pay(stores, customerID: customerID, amountMinor: 1_000_000, key: "\(name)-big")
                #expect(declined == "declined:insufficient_funds")
            }
            func rows() async throws -> [AuditCountRow] {
                let hour = AuditCounts.hour(of: Date())
                return try await counts.auditCounts(firstHour: String(hour.prefix(10)) + "T00", lastHour: String(hour.prefix(10)) + "T23")
            }
            func total(_ action: String, _ rows: [AuditCountRow]) -> Int64 {
                rows.filter { $0.key.action == action }.reduce(0) { $0 + $1.count }
            }
            try await round("a")
            // Two folders at once (two nodes' consoles): each event is counted once.
            async let first = AuditCounts.catchUp(counts, reader: stores.audit, batch: 2)
            async let second = AuditCounts.catchUp(counts, reader: stores.audit, batch: 3)
            _ = try await (first, second)
            let before = try await rows()
            #expect(total("payment.approved", before) == Int64(try await Contract.events(stores, "payment.approved").count))
            #expect(total("payment.declined", before) == 1)
            #expect(before.contains { $0.key.action == "payment.declined" && $0.key.label == "insufficient_funds" && $0.key.actor == terminal })
            #expect(total("customer.enrolled", before) == 1)
            #expect(try await counts.auditCountsCursor() == (try await stores.audit.auditHead())?.seq)

            try await round("b")
            try await AuditCounts.catchUp(counts, reader: stores.audit)
            let after = try await rows()
            #expect(total("payment.approved", after) == 10 && total("payment.declined", after) == 2)
            #expect(after.count == before.count, "the same hour, devices and codes: the same rows")
            #expect(try await AuditCounts.catchUp(counts, reader: stores.audit) == 0, "nothing new, nothing read")
        }
    }

    @Test("device and customer filters return exactly the events of that actor or about that customer, page by page, folded once by racing folders",
          arguments: StoreBackend.allCases)
    func eventFilters(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            guard let counts = stores.audit as? any AuditCountStore else { Issue.record("the backend keeps no counts"); return }
            let (jane, _, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "jane"))
            let (john, _, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "john"))
            for index in 0..<3 { _ = try await Contract.pay(stores, customerID: jane, amountMinor: 10, key: "jane-\(index)") }
            _ = try await Contract.pay(stores, customerID: john, amountMinor: 10, key: "john-0")
            let (_, declined, _) = try await Contract.pay(stores, customerID: jane, amountMinor: 1_000_000, key: "jane-big")
            #expect(declined == "declined:insufficient_funds")

            // Two folders at once, as two nodes' consoles: each key is indexed once (a second
            // insert of the same key would fail its primary key).
            async let first = AuditCounts.catchUp(counts, reader: stores.audit, batch: 2)
            async let second = AuditCounts.catchUp(counts, reader: stores.audit, batch: 3)
            _ = try await (first, second)

            func read(_ query: AuditEventQuery) async throws -> [AuditEvent] {
                try await AuditCounts.events(query, counts: counts, reader: stores.audit, eventsMax: 1_000).events
            }
            let all = try await stores.audit.auditEvents(AuditEventQuery(limit: 500)).events
            let janes = try await read(AuditEventQuery(limit: 500, customerID: jane))
            #expect(janes.map(\.action) == ["customer.enrolled", "payment.approved", "payment.approved", "payment.approved", "payment.declined"])
            #expect(janes.allSatisfy { $0.subject == jane || $0.detail.contains(#""customer_id":"\#(jane)""#) })
            #expect(try await read(AuditEventQuery(limit: 500, actor: kiosk)).map(\.seq) == all.filter { $0.actor == kiosk }.map(\.seq))
            let janeAtTerminal = try await read(AuditEventQuery(limit: 500, actor: terminal, customerID: jane))
            #expect(janeAtTerminal.map(\.seq) == janes.dropFirst().map(\.seq))
            #expect(try await read(AuditEventQuery(action: "payment.declined", limit: 500, customerID: john)).isEmpty)

            // Page by page with the cursor, two at a time: the same events in seq order.
            var paged: [Int64] = []
            var cursor: Int64?
            repeat {
                let page = try await AuditCounts.events(AuditEventQuery(afterSeq: cursor, limit: 2, customerID: jane), counts: counts,
                                                        reader: stores.audit, eventsMax: 1_000)
                paged += page.events.map(\.seq)
                cursor = page.nextCursor
            } while cursor != nil && paged.count <= janes.count
            #expect(paged == janes.map(\.seq))

            // An event written after the fold is in the next filtered read, which folds first.
            _ = try await Contract.pay(stores, customerID: john, amountMinor: 10, key: "john-1")
            #expect(try await read(AuditEventQuery(limit: 500, customerID: john)).map(\.action) == ["customer.enrolled", "payment.approved", "payment.approved"])
            // A backlog past the fold's budget is an honest 503, not a page missing the newest events.
            _ = try await Contract.pay(stores, customerID: john, amountMinor: 10, key: "john-2")
            _ = try await Contract.pay(stores, customerID: john, amountMinor: 10, key: "john-3")
            await #expect(throws: FacePayError.self) {
                try await AuditCounts.events(AuditEventQuery(limit: 500, customerID: john), counts: counts, reader: stores.audit, eventsMax: 1)
            }
            #expect(try await read(AuditEventQuery(limit: 500, customerID: john)).count == 5)
        }
    }
}
