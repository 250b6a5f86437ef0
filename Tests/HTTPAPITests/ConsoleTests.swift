import AsyncHTTPClient
import FacePayCore
import Foundation
@testable import HTTPAPI
import NIOHTTP1
import Simulator
@testable import Storage
import Stores
import Testing

@Suite("the auditor's web console over mutual TLS")
struct ConsoleTests {
    /// A console page as the browser gets it: status, every header, the body as text.
    struct Page {
        let status: Int
        let headers: HTTPHeaders
        let html: String

        /// The transfer ids of the table's rows, in page order.
        var transferIDs: [String] {
            html.matches(of: /<tr class="transfer"><td><time [^>]*>[^<]*<\/time><\/td><td>([^<]*)<\/td>/).map { String($0.output.1) }
        }

        /// The actor of each event row, in page order.
        var eventActors: [String] {
            html.matches(of: /<a class="actor" href="[^"]*">([^<]*)<\/a>/).map { String($0.output.1) }
        }

        var eventSeqs: [Int] {
            html.matches(of: /<tr class="event"><td class="number"><a href="\/console\/events\/\d+"[^>]*>(\d+)<\/a><\/td>/).compactMap { Int($0.output.1) }
        }

        /// The target of the link with this id, as the browser would follow it (entities decoded;
        /// the console percent-encodes query values, so `&amp;` is the only entity in its links).
        func link(id: String) -> String? {
            guard let anchor = html.range(of: #"id="\#(id)""#),
                  let start = html[anchor.upperBound...].range(of: #"href=""#),
                  let end = html[start.upperBound...].firstIndex(of: "\"") else { return nil }
            let href = String(html[start.upperBound..<end]).replacingOccurrences(of: "&amp;", with: "&")
            // The fragment only scrolls the browser; it is never sent.
            return href.split(separator: "#", maxSplits: 1).first.map(String.init)
        }
    }

    /// GETs a page with the client's certificate and keeps the headers (the shared `send` keeps
    /// only the content type, and the console's security headers are part of its contract).
    static func get(_ client: TestClient, _ path: String) async throws -> Page {
        let response = try await client.http.execute(HTTPClientRequest(url: "https://127.0.0.1:\(client.port)\(path)"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Page(status: Int(response.status.code), headers: response.headers, html: String(buffer: body))
    }

    /// What `workload` made: the transfer ids in ledger order, the wallet, and the shopper (who
    /// can pay again).
    struct Workload {
        let transferIDs: [String]
        let walletID: String
        let customerID: String
        var shoppers: Shoppers
        let shopper: SyntheticPerson
    }

    /// Enrols one shopper with a deposit, tops up once, and pays twice (a small real ledger: four
    /// transfers and their audit events).
    @discardableResult
    static func workload(_ server: TestServer, terminal: TestClient, kiosk: TestClient, auditor: TestClient,
                         reference: String = "order-1") async throws -> Workload {
        var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
        let jane = shoppers.person()
        let (customerID, walletID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 5000)
        let deposit = try await kiosk.send(.POST, "/v1/customers/\(customerID)/deposits", body: Data(#"{"amount":1000,"currency":"EUR"}"#.utf8),
                                           headers: [("Idempotency-Key", "dep-\(reference)")])
        try #require(deposit.status == 201)
        let referenceJSON = String(decoding: try JSONEncoder().encode(reference), as: UTF8.self)
        for amount in [700, 300] {
            let paid = try await shoppers.pay(jane, terminal: terminal, amount: amount, extra: #""reference":\#(referenceJSON)"#)
            try #require(try paid.json()["status"] as? String == "approved", "\(String(decoding: paid.body, as: UTF8.self))")
        }
        let listed = try await auditor.send(.GET, "/v1/ledger/transfers").json()
        return Workload(transferIDs: try #require(listed["transfers"] as? [[String: Any]]).compactMap { $0["transfer_id"] as? String },
                        walletID: walletID, customerID: customerID, shoppers: shoppers, shopper: jane)
    }

    @Test("an auditor gets the HTML page: a green badge, the audit head, every transfer row, strict security headers")
    func auditorSeesTheLedger() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            let transferIDs = try await Self.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor).transferIDs
            #expect(transferIDs.count == 4)

            let page = try await Self.get(auditor, "/console/ledger")
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(page.headers.first(name: "Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'")
            #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(page.html.hasPrefix("<!doctype html>"))
            #expect(!page.html.contains("<script"), "the console needs no script at all")

            // The first view verifies from the genesis state: every event and transfer is new to it.
            let report = try server.database.verifyIntegrity()
            let head = try await auditor.send(.GET, "/v1/audit/head").json()
            let headSeq = try #require(head["seq"] as? Int)
            #expect(page.html.contains(#"<p class="badge verified" id="integrity-badge">Ledger verified through audit event \#(headSeq) — \#(report.eventsChecked) new events, 4 new transfers checked</p>"#))
            let again = try await Self.get(auditor, "/console/ledger")
            #expect(again.html.contains(#"Ledger verified through audit event \#(headSeq) — 0 new events, 0 new transfers checked"#),
                    "the next view re-checks only what came after the verified head")
            #expect(page.html.contains(#"<code id="head-seq">\#(headSeq)</code>"#))
            #expect(page.html.contains(#"<code id="head-hash">\#(try #require(head["hash"] as? String))</code>"#))

            #expect(page.transferIDs == transferIDs.reversed(), "newest first")
            #expect(try await Self.get(auditor, "/console/ledger?order=oldest").transferIDs == transferIDs)
            #expect(page.link(id: "transfers-order") == "/console/ledger?order=oldest")
            #expect(page.html.contains(#"title="1000 minor units">10.00 EUR</td>"#), "amounts in major units, minor units on hover")
            #expect(page.link(id: "transfers-next") == nil, "one page holds them all")
            // Landing shows the newest events, up to the default page size.
            #expect(page.eventSeqs.last == headSeq)
            #expect(page.html.contains(">payment.approved<"))
        }
    }

    @Test("filters narrow the transfers and travel with the CSV link; limit=1 pages row by row through the Next link")
    func filtersAndPaging() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            let workload = try await Self.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            let (transferIDs, walletID) = (workload.transferIDs, workload.walletID)

            // Follow "Next page" from the first page to the end: one row each, newest first.
            var seen: [String] = []
            var path: String? = "/console/ledger?limit=1"
            while let current = path {
                let page = try await Self.get(auditor, current)
                try #require(page.status == 200, "\(current): \(page.html)")
                #expect(page.transferIDs.count == 1, "\(current)")
                seen += page.transferIDs
                path = page.link(id: "transfers-next")
                if let next = path { #expect(next.contains("limit=1"), "the page size travels with the cursor") }
                try #require(seen.count <= transferIDs.count, "paging must end")
            }
            #expect(seen == transferIDs.reversed())

            // The device filter keeps only the terminal's two payments; the CSV link carries it.
            let filtered = try await Self.get(auditor, "/console/ledger?device_id=T-1&limit=50")
            #expect(filtered.transferIDs == Array(transferIDs.suffix(2).reversed()))
            #expect(filtered.html.contains(#"name="device_id" size="20" value="T-1""#), "the form shows the filter in force")
            let csvPath = try #require(filtered.link(id: "transfers-csv"))
            #expect(csvPath == "/v1/ledger/transfers.csv?device_id=T-1", "filters only: the export is every page")
            let csv = String(decoding: try await auditor.send(.GET, csvPath).body, as: UTF8.self)
            #expect(csv.split(separator: "\r\n").dropFirst().map { String($0.split(separator: ",")[0]) } == filtered.transferIDs.reversed(),
                    "the CSV keeps the ledger's order")

            // The account filter heads the table with the wallet's balances: 5000 + 1000 − 700 − 300.
            let wallet = try await Self.get(auditor, "/console/ledger?account_id=\(walletID)")
            #expect(wallet.transferIDs == transferIDs.reversed())
            #expect(wallet.html.contains(#"<span class="number" id="account-available">5000</span>"#))
            let unknown = try await Self.get(auditor, "/console/ledger?account_id=acc_nothing")
            #expect(unknown.transferIDs.isEmpty)
            #expect(unknown.html.contains(#"<p class="empty" id="account-summary">No account <code>acc_nothing</code>.</p>"#))

            // The event list pages on its own cursor and leaves the transfer list where it was.
            let events = try await Self.get(auditor, "/console/ledger?limit=1&events_cursor=0&events_limit=2")
            #expect(events.eventSeqs == [1, 2])
            let nextEvents = try #require(events.link(id: "events-next"))
            #expect(nextEvents.contains("limit=1") && nextEvents.contains("events_cursor=2"))
            let second = try await Self.get(auditor, nextEvents)
            #expect(second.eventSeqs == [3, 4])
            #expect(second.transferIDs == [transferIDs.last!])

            let approved = try await Self.get(auditor, "/console/ledger?action=payment.approved")
            #expect(approved.eventSeqs.count == 2)
            #expect(!approved.html.contains(">deposit.posted<") && !approved.html.contains(">customer.enrolled<"))
        }
    }

    @Test("events filter by device and by customer, in the console and the JSON call alike; an event written after a fold is found")
    func eventsByDeviceAndCustomer() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var workload = try await Self.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            let customerID = workload.customerID
            func events(_ query: String) async throws -> [[String: Any]] {
                let response = try await auditor.send(.GET, "/v1/audit/events?limit=500&\(query)")
                try #require(response.status == 200, "\(query): \(String(decoding: response.body, as: UTF8.self))")
                return try #require(try response.json()["events"] as? [[String: Any]])
            }
            let all = try await events("")

            // The device filter (the overview's terminal links) narrows the events too, to the
            // terminal's own; each actor links to that device's rows.
            let byTerminal = try await Self.get(auditor, "/console/ledger?device_id=T-1")
            let terminalSeqs = all.filter { $0["actor"] as? String == "T-1" }.compactMap { $0["seq"] as? Int }
            #expect(terminalSeqs.count == 2)
            #expect(byTerminal.eventSeqs == terminalSeqs && byTerminal.eventActors == ["T-1", "T-1"])
            #expect(byTerminal.html.contains(#"href="/console/ledger?device_id=K-1#events""#) == false, "only the terminal's rows")
            let landing = try await Self.get(auditor, "/console/ledger")
            #expect(landing.html.contains(#"<a class="actor" href="/console/ledger?device_id=K-1#events">K-1</a>"#))
            #expect(try await events("actor=K-1").compactMap { $0["seq"] as? Int } == all.filter { $0["actor"] as? String == "K-1" }.compactMap { $0["seq"] as? Int })

            // The customer's events: the enrolment and both payments (a deposit names the wallet).
            let byCustomer = try await events("customer_id=\(customerID)")
            #expect(byCustomer.compactMap { $0["action"] as? String } == ["customer.enrolled", "payment.approved", "payment.approved"])
            let page = try await Self.get(auditor, "/console/ledger?customer_id=\(customerID)&events_limit=2")
            #expect(page.eventSeqs == byCustomer.prefix(2).compactMap { $0["seq"] as? Int })
            let next = try await Self.get(auditor, try #require(page.link(id: "events-next")))
            #expect(next.eventSeqs == [try #require(byCustomer.last?["seq"] as? Int)], "paging follows the filter")
            #expect(page.html.contains(#"name="customer_id" size="20" value="\#(customerID)""#))
            #expect(try await events("actor=K-1&customer_id=\(customerID)").compactMap { $0["action"] as? String } == ["customer.enrolled"])
            #expect(try await events("customer_id=cus_nobody").isEmpty)

            // A payment after the last fold is in the next filtered read (the read folds first).
            try #require(try await workload.shoppers.pay(workload.shopper, terminal: terminal, amount: 100).json()["status"] as? String == "approved")
            #expect(try await events("customer_id=\(customerID)").count == 4)
            #expect(try await events("actor=T-1").count == 3)
        }
    }

    @Test("values typed at a till or in the query string are escaped, never markup")
    func hostileValuesAreEscaped() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            // A payment reference is free text from the till (device ids, by contrast, are
            // restricted to letters, digits, '-', '_' and '.' when registered).
            let hostile = #"<script>alert(1)</script><b>&"'"#
            try await Self.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor, reference: hostile)
            let payments = try await auditor.send(.GET, "/v1/audit/events?action=payment.approved").json()["events"] as? [[String: Any]]
            #expect((payments?.first?["detail"] as? String)?.contains(#"<script>alert(1)</script><b>&\"'"#) == true,
                    "the reference reached the audit log as typed")

            let page = try await Self.get(auditor, "/console/ledger?action=payment.approved")
            #expect(page.status == 200)
            #expect(!page.html.contains("<script") && !page.html.contains("<b>"))
            #expect(page.html.contains(#"&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;&amp;\&quot;&#39;"#))

            // Reflected from the query string into the form: still text.
            let reflected = try await Self.get(auditor, "/console/ledger?action=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(reflected.status == 200)
            #expect(!reflected.html.contains("<script"))
            #expect(reflected.html.contains(#"value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#))
            #expect(reflected.link(id: "events-newest") == "/console/ledger", "links percent-encode, never splice")
        }
    }

    @Test("a terminal or kiosk gets 403 problem+json; a bad query value gets the same 400 as the JSON calls")
    func refusals() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            for client in [terminal, kiosk] {
                let refused = try await client.send(.GET, "/console/ledger")
                #expect(refused.status == 403)
                #expect(refused.contentType == ProblemDetails.mediaType)
                #expect(try refused.json()["code"] as? String == "wrong_role")
            }
            for (query, parameter) in [("limit=0", "limit"), ("since=yesterday", "since"), ("cursor=-4", "cursor"),
                                       ("events_cursor=abc", "events_cursor"), ("events_limit=100000", "events_limit")] {
                let console = try await auditor.send(.GET, "/console/ledger?\(query)")
                #expect(console.status == 400, "\(query)")
                #expect(console.contentType == ProblemDetails.mediaType)
                let problem = try console.json()
                #expect(problem["code"] as? String == "invalid_request")
                #expect((problem["detail"] as? String)?.contains("'\(parameter)'") == true, "\(query): \(problem)")
            }
            let json = try await auditor.send(.GET, "/v1/ledger/transfers?limit=0").json()
            let console = try await auditor.send(.GET, "/console/ledger?limit=0").json()
            #expect(json["detail"] as? String == console["detail"] as? String)
        }
    }

    @Test("after an audit row is edited behind the server's back, the badge turns red and lists the problems")
    func tamperingTurnsTheBadgeRed() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await Self.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            #expect(try await Self.get(auditor, "/console/ledger").html.contains("Ledger verified"))

            // What an attacker holding the file would do: remove the guard, then rewrite history.
            try await server.database.pool.write { db in
                try db.execute(sql: "DROP TRIGGER audit_events_no_update")
                try db.execute(sql: #"UPDATE audit_events SET detail = '{"amount":1}' WHERE seq = 2"#)
            }
            let page = try await Self.get(auditor, "/console/ledger")
            #expect(page.status == 200)
            #expect(page.html.contains(#"<div class="badge failed" id="integrity-badge"><p>Ledger integrity check failed — "#))
            #expect(!page.html.contains("Ledger verified"))
            // Seq 2 lies below the verified head, which each view does not re-hash; the dropped
            // trigger, checked on every view, is what turns the badge red, and the full check
            // the page points to names the row.
            #expect(page.html.contains("<li>sqlite_master audit_events_no_update: trigger expected present, found missing</li>"))
            #expect(page.html.contains("<code>facepay audit verify --full</code>"))
            #expect(try server.database.verifyIntegrity().problems.contains { $0.row == "seq 2" && $0.check == "hash" },
                    "the full verification names the edited row")
        }
    }

    @Test("HTMLEscaping: the five HTML specials, even next to a combining mark; query components percent-encoded")
    func escaping() {
        #expect(HTMLEscaping.escape(#"<b>&"'</b>"#) == "&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;")
        #expect(HTMLEscaping.escape("plain café") == "plain café")
        // `"` + U+0301 is one Character but the parser still ends the attribute at the quote.
        #expect(HTMLEscaping.escape("\"\u{301}") == "&quot;\u{301}")
        #expect(HTMLEscaping.queryComponent("a b&c=d#e+f/ü") == "a%20b%26c%3Dd%23e%2Bf%2F%C3%BC")
    }
}
