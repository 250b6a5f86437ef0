import FacePayCore
import Foundation
@testable import HTTPAPI
import Simulator
@testable import Storage
import Stores
import Testing

@Suite("the console overview and event pages")
struct ConsoleOverviewTests {
    /// The number an element with `id` holds as its text (`<a id="…" …>N</a>`).
    static func number(_ html: String, id: String) -> Int64? {
        guard let anchor = html.range(of: #"id="\#(id)""#), let close = html[anchor.upperBound...].firstIndex(of: ">"),
              let end = html[close...].firstIndex(of: "<") else { return nil }
        return Int64(html[html.index(after: close)..<end])
    }

    static func countEvents(_ auditor: TestClient, _ action: String) async throws -> Int {
        try #require(try await auditor.send(.GET, "/v1/audit/events?action=\(action)&limit=1000").json()["events"] as? [[String: Any]]).count
    }

    @Test("today's counts equal the audit events the API lists; the rows read stay the same as the ledger doubles; each count links to its rows")
    func overviewCounts() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            _ = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 1_000)
            func round() async throws {
                for amount in [100, 200] {
                    let paid = try await shoppers.pay(jane, terminal: terminal, amount: amount)
                    try #require(try paid.json()["status"] as? String == "approved")
                }
                let declined = try await shoppers.pay(jane, terminal: terminal, amount: 1_000_000)
                try #require(try declined.json()["decline_code"] as? String == "insufficient_funds")
            }
            try await round()

            let page = try await ConsoleTests.get(auditor, "/console")
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Security-Policy") == "default-src 'none'; style-src 'unsafe-inline'")
            #expect(!page.html.contains("<script"))
            #expect(page.html.contains("<svg id=\"payments-chart\""))
            #expect(Self.number(page.html, id: "approved-count") == Int64(try await Self.countEvents(auditor, "payment.approved")))
            #expect(Self.number(page.html, id: "declined-count") == Int64(try await Self.countEvents(auditor, "payment.declined")))
            #expect(Self.number(page.html, id: "count-customer.enrolled") == 1)
            #expect(page.html.contains("<code>insufficient_funds</code>"))
            #expect(page.html.contains(#"<tr class="terminal"><td><a href=""#) && page.html.contains("<code>T-1</code>"))
            // The declined count leads to the declined payments' events of the period.
            let link = try #require(page.link(id: "declined-count"))
            #expect(link.hasPrefix("/console/ledger?") && link.contains("action=payment.declined") && link.contains("since="))
            let behind = try await ConsoleTests.get(auditor, link)
            #expect(behind.status == 200)
            #expect(behind.eventSeqs.count == 1 && behind.html.contains(">payment.declined<"))

            // Twice the ledger, same hour, terminal and codes: the same number of count rows read.
            let rowsBefore = Self.number(page.html, id: "rows-read")
            try await round()
            let again = try await ConsoleTests.get(auditor, "/console")
            #expect(Self.number(again.html, id: "approved-count") == 4)
            #expect(Self.number(again.html, id: "declined-count") == 2)
            #expect(Self.number(again.html, id: "rows-read") == rowsBefore)
            #expect(rowsBefore != nil)

            for query in ["period=7d", "period=custom&from=2026-01-01T00:00:00Z&to=2026-01-03T12:30:00Z"] {
                #expect(try await ConsoleTests.get(auditor, "/console?\(query)").status == 200, "\(query)")
            }
            for query in ["period=month", "period=custom", "period=custom&from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
                          "period=custom&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "period=custom&from=soon&to=later"] {
                let reply = try await auditor.send(.GET, "/console?\(query)")
                #expect(reply.status == 400, "\(query)")
            }
            #expect(try await terminal.send(.GET, "/console").status == 403)
            #expect(try await kiosk.send(.GET, "/console").status == 403)
        }
    }

    @Test("an event page checks its hash and its link; verify up to here holds, then names the event an insider changed")
    func eventPage() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            let page = try await ConsoleTests.get(auditor, "/console/events/3?verify=1")
            #expect(page.status == 200)
            #expect(page.html.contains(#"id="hash-check">recomputed: matches"#))
            #expect(page.html.contains(#"id="link-check">links to it"#))
            #expect(page.link(id: "previous-event") == "/console/events/2")
            #expect(page.html.contains(#"<p id="verification" class="badge verified">"#))
            #expect(page.html.contains("<ol class=\"proof\">"))
            // The ledger page links each event to its page.
            #expect(try await ConsoleTests.get(auditor, "/console/ledger").html.contains(#"<a href="/console/events/1""#))

            try await server.database.pool.write { db in
                try db.execute(sql: "DROP TRIGGER audit_events_no_update")
                try db.execute(sql: #"UPDATE audit_events SET actor = '<script>x</script>' WHERE seq = 2"#)
            }
            let tampered = try await ConsoleTests.get(auditor, "/console/events/3?verify=1")
            #expect(tampered.html.contains(#"<p id="verification" class="badge failed">The chain does not hold up to event 3: event 2 does not hash to its stored hash"#))
            let second = try await ConsoleTests.get(auditor, "/console/events/2")
            #expect(second.html.contains("does not match"))
            #expect(second.html.contains("&lt;script&gt;x&lt;/script&gt;") && !second.html.contains("<script>"))
            #expect(try await auditor.send(.GET, "/console/events/999999").status == 404)
            #expect(try await auditor.send(.GET, "/console/events/0").status == 400)
        }
    }
}

@Suite("console times")
struct ConsoleTimeTests {
    @Test("UTC on the page, the console's zone on hover, the instant in datetime; unparseable text stays escaped text")
    func times() throws {
        let time = ConsoleTime(zone: try #require(TimeZone(secondsFromGMT: 5_400)))
        let date = try #require(Date.parseRFC3339("2026-12-07T23:30:00.000Z"))
        #expect(time.local(date) == "2026-12-08 01:00:00 GMT+0130 (UTC+01:30)")
        #expect(time.element(date) == #"<time datetime="2026-12-07T23:30:00.000Z" title="2026-12-08 01:00:00 GMT+0130 (UTC+01:30)">2026-12-07 23:30:00 UTC</time>"#)
        #expect(time.element("<b>") == "&lt;b&gt;")
        let west = ConsoleTime(zone: try #require(TimeZone(secondsFromGMT: -3 * 3_600)))
        #expect(west.local(date).hasSuffix("(UTC-03:00)"))
    }
}
