import FacePayCore
import Foundation
import Ledger
import Stores

/// Escaping for text placed in HTML. Every value the console shows comes from the ledger, and
/// some of it is typed by people at a till (a payment `reference`), so nothing is written into
/// the page without passing through here.
enum HTMLEscaping {
    /// Escapes `text` for an HTML text node or a quoted attribute value (double or single quotes).
    ///
    /// Works on Unicode scalars, not Characters: a quote followed by a combining mark is one
    /// Character that does not compare equal to `"`, but the HTML parser still sees the quote.
    static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    /// Percent-encodes a query-string name or value: only RFC 3986 unreserved characters stay
    /// as they are, so `&`, `=`, `#`, `+` and spaces in a value cannot change the link's meaning.
    static func queryComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// The console's query string: the transfer filters and paging, and the event filter and
/// paging. Kept as the text the auditor sent, so forms and links echo it exactly; parsing and
/// bounds are `AuditorQueries`' job.
struct ConsoleState {
    /// The filters of `/v1/ledger/transfers`, in the order links spell them.
    static let transferFilterNames = ["account_id", "merchant_id", "device_id", "payment_id", "since", "until"]
    /// The filters both tables apply: the device (a transfer's, an event's actor) and the period,
    /// so a terminal's or a period's link from the overview shows its rows in both.
    static let sharedNames = ["device_id", "since", "until"]
    /// `order`: `newest` (the default) or `oldest` first.
    static let transferNames = transferFilterNames + ["limit", "cursor", "order"]
    static let transferOwnNames = transferNames.filter { !sharedNames.contains($0) }
    /// The event list has its own names so both tables page independently on one page.
    static let eventNames = ["action", "customer_id", "events_limit", "events_cursor"]
    static let allNames = transferNames + eventNames
    static let cursorNames = ["cursor", "events_cursor"]

    /// Only the names the console knows; anything else in the query string is dropped from links.
    let values: [String: String]

    init(parameters: [String: String]) {
        values = parameters.filter { Self.allNames.contains($0.key) && !$0.value.isEmpty }
    }

    subscript(name: String) -> String? { values[name] }

    /// `/console?…` with `changes` applied (nil removes a name) and the fragment, if any.
    func consoleLink(_ changes: [String: String?] = [:], fragment: String? = nil) -> String {
        var merged = values
        for (name, value) in changes { merged[name] = value }
        return Self.link(path: "/console/ledger", names: Self.allNames, values: merged) + (fragment.map { "#" + $0 } ?? "")
    }

    /// `/console/ledger?…` without `names`.
    func consoleLink(removing names: [String], fragment: String? = nil) -> String {
        consoleLink(Dictionary(uniqueKeysWithValues: names.map { ($0, nil) }), fragment: fragment)
    }

    /// The CSV export of exactly the filtered transfers: filters only, no page size or cursor,
    /// so the download is the whole filtered ledger rather than the page on screen.
    var csvLink: String {
        Self.link(path: "/v1/ledger/transfers.csv", names: Self.transferFilterNames, values: values)
    }

    static func link(path: String, names: [String], values: [String: String]) -> String {
        let pairs = names.compactMap { name in
            values[name].flatMap { $0.isEmpty ? nil : HTMLEscaping.queryComponent(name) + "=" + HTMLEscaping.queryComponent($0) }
        }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }
}

/// The console page, rendered from what `ConsoleRoutes` read. Plain HTML and inline CSS: no
/// script at all, so the strict Content-Security-Policy can forbid every script source.
struct ConsolePage {
    let device: Device
    /// The integrity section, as `ConsoleRoutes.integrity` rendered it.
    let integrity: String
    let time: ConsoleTime
    let state: ConsoleState
    let transfers: TransferPage
    /// The account the `account_id` filter names, when it exists: its balances head the table.
    let account: Account?
    let events: AuditEventPage
    /// True when the event list shows the newest events because no cursor or filter was given.
    let eventsFromTail: Bool

    /// Enough of a hash to tell events apart at a glance; the full value is in the cell's title.
    static let hashPrefixLength = 12

    func render() -> String {
        ConsoleChrome.document(title: "FacePay ledger console", heading: "Ledger", device: device, current: .ledger,
                               body: integrity + sharedFilters() + transfersSection() + eventsSection())
    }

    // MARK: Sections

    /// The device and the period, which filter both tables; a change starts both lists again.
    private func sharedFilters() -> String {
        var html = "<section id=\"filters\">\n<h2>Device and period</h2>\n<p class=\"note\">For both tables below.</p>\n"
        html += "<form method=\"get\" action=\"/console/ledger\">\n"
        html += textInput("device_id", label: "Device", placeholder: "T-DEV-1")
        html += textInput("since", label: "Since", placeholder: "2026-01-31T00:00:00Z")
        html += textInput("until", label: "Until", placeholder: "2026-02-01T00:00:00Z")
        html += hiddenInputs(ConsoleState.allNames.filter { !ConsoleState.sharedNames.contains($0) && !ConsoleState.cursorNames.contains($0) })
        html += "<button type=\"submit\">Filter</button> <a href=\"\(escape(state.consoleLink(removing: ConsoleState.sharedNames + ConsoleState.cursorNames)))\">Clear</a>\n"
        return html + "</form>\n</section>\n"
    }

    private func transfersSection() -> String {
        var html = "<section id=\"transfers\">\n<h2>Transfers</h2>\n"
        html += "<form method=\"get\" action=\"/console/ledger#transfers\">\n"
        for (name, label) in [("account_id", "Account"), ("merchant_id", "Merchant"), ("payment_id", "Payment")] {
            html += textInput(name, label: label, placeholder: nil)
        }
        html += textInput("limit", label: "Per page", placeholder: "100", size: 5)
        // A new filter starts the transfer list again, but keeps the event list where it was.
        html += hiddenInputs(ConsoleState.sharedNames + ConsoleState.eventNames)
        html += "<button type=\"submit\">Filter</button> <a href=\"\(escape(state.consoleLink(removing: ConsoleState.transferOwnNames, fragment: "transfers")))\">Clear</a>\n"
        html += "</form>\n"
        let oldestFirst = state["order"] == "oldest"
        html += "<p class=\"note\">\(oldestFirst ? "Oldest" : "Newest") first. <a id=\"transfers-order\" href=\"\(escape(state.consoleLink(["order": oldestFirst ? nil : "oldest", "cursor": nil], fragment: "transfers")))\">\(oldestFirst ? "Newest" : "Oldest") first</a></p>\n"
        html += "<p><a id=\"transfers-csv\" href=\"\(escape(state.csvLink))\">Download these transfers as CSV</a> (every page)</p>\n"
        html += accountSummary()

        if transfers.transfers.isEmpty {
            html += "<p class=\"empty\">No transfers match.</p>\n"
        } else {
            html += """
            <table>
            <thead><tr><th>created at</th><th>transfer</th><th>kind</th><th>debit account</th><th>credit account</th>\
            <th class="number">amount</th><th>currency</th><th>payment</th><th>device</th><th>merchant</th>\
            <th>pending transfer</th><th>expires at</th></tr></thead>
            <tbody>

            """
            for transfer in transfers.transfers.map(TransferWire.init) {
                let cells = [transfer.transferID, transfer.kind, transfer.debitAccountID, transfer.creditAccountID]
                html += "<tr class=\"transfer\"><td>\(time.element(transfer.createdAt))</td>" + cells.map(cell).joined()
                // Major units for people; the exact minor units (what the API and CSV carry) on hover.
                let money = Currency(transfer.currency).map { Money(amountMinor: transfer.amount, currency: $0).formatted } ?? String(transfer.amount)
                html += "<td class=\"number amount\" title=\"\(transfer.amount) minor units\">\(escape(money))</td>" + cell(transfer.currency)
                html += [transfer.paymentID, transfer.deviceID, transfer.merchantID, transfer.pendingTransferID]
                    .map { cell($0 ?? "") }.joined()
                html += "<td>\(transfer.expiresAt.map(time.element) ?? "")</td>"
                html += "</tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        if let next = transfers.nextCursor {
            html += "<p class=\"paging\"><a id=\"transfers-next\" rel=\"next\" href=\"\(escape(state.consoleLink(["cursor": String(next)], fragment: "transfers")))\">Next page</a></p>\n"
        } else {
            html += "<p class=\"paging\">End of the list.</p>\n"
        }
        html += "</section>\n"
        return html
    }

    /// The filtered account's balances, as `GET /v1/ledger/accounts/{id}` gives them (minor units).
    private func accountSummary() -> String {
        guard let filtered = state["account_id"] else { return "" }
        guard let account else {
            return "<p class=\"empty\" id=\"account-summary\">No account <code>\(escape(filtered))</code>.</p>\n"
        }
        let wire = AccountWire(account)
        let balances = wire.balances
        var html = "<p id=\"account-summary\">Account <code>\(escape(wire.accountID))</code> (\(escape(wire.kind)) of <code>\(escape(wire.ownerID))</code>, \(escape(wire.currency))"
        html += wire.frozen ? ", <strong>frozen</strong>" : ""
        html += "): posted <span class=\"number\">\(balances.posted)</span>, available <span class=\"number\" id=\"account-available\">\(balances.available)</span>"
        html += "; debits posted \(balances.debitsPosted), pending \(balances.debitsPending); credits posted \(balances.creditsPosted), pending \(balances.creditsPending)"
        return html + " (minor units)</p>\n"
    }

    private func eventsSection() -> String {
        var html = "<section id=\"events\">\n<h2>Audit events</h2>\n"
        html += "<form method=\"get\" action=\"/console/ledger#events\">\n"
        html += textInput("action", label: "Action", placeholder: "payment.approved")
        html += textInput("customer_id", label: "Customer", placeholder: "cus_…")
        html += textInput("events_limit", label: "Per page", placeholder: "100", size: 5)
        html += hiddenInputs(ConsoleState.transferNames)
        html += "<button type=\"submit\">Filter</button> <a href=\"\(escape(state.consoleLink(removing: ConsoleState.eventNames, fragment: "events")))\">Clear</a>\n"
        html += "</form>\n"
        if eventsFromTail {
            html += "<p class=\"note\">The newest events, oldest first. <a id=\"events-first\" href=\"\(escape(state.consoleLink(["events_cursor": "0"], fragment: "events")))\">Start from the first event</a></p>\n"
        } else if ConsoleState.sharedNames.allSatisfy({ state[$0] == nil }) {
            html += "<p class=\"note\">In chain order. <a id=\"events-newest\" href=\"\(escape(state.consoleLink(removing: ConsoleState.eventNames, fragment: "events")))\">Newest events</a></p>\n"
        } else {
            html += "<p class=\"note\">In chain order, within the device and period above.</p>\n"
        }

        if events.events.isEmpty {
            html += "<p class=\"empty\">No events match.</p>\n"
        } else {
            html += """
            <table>
            <thead><tr><th class="number">seq</th><th>time</th><th>actor</th><th>action</th><th>subject</th><th>detail</th><th>hash</th></tr></thead>
            <tbody>

            """
            for event in events.events {
                html += "<tr class=\"event\"><td class=\"number\"><a href=\"/console/events/\(event.seq)\" title=\"The event, its link to the one before, and verify up to here\">\(event.seq)</a></td>"
                // The actor filters both tables by that device.
                let actorLink = state.consoleLink(["device_id": event.actor, "cursor": nil, "events_cursor": nil], fragment: "events")
                html += "<td>\(time.element(event.time))</td><td><a class=\"actor\" href=\"\(escape(actorLink))\">\(escape(event.actor))</a></td>"
                html += [event.action, event.subject].map(cell).joined()
                html += "<td class=\"detail\"><code>\(escape(event.detail))</code></td>"
                html += "<td title=\"\(escape(event.hash))\"><code>\(escape(String(event.hash.prefix(Self.hashPrefixLength))))…</code></td></tr>\n"
            }
            html += "</tbody>\n</table>\n"
        }
        if let next = events.nextCursor {
            html += "<p class=\"paging\"><a id=\"events-next\" rel=\"next\" href=\"\(escape(state.consoleLink(["events_cursor": String(next)], fragment: "events")))\">Next events</a></p>\n"
        } else {
            html += "<p class=\"paging\">End of the log.</p>\n"
        }
        html += "</section>\n"
        return html
    }

    // MARK: Pieces

    private func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    private func cell(_ text: String) -> String { "<td>\(escape(text))</td>" }

    private func textInput(_ name: String, label: String, placeholder: String?, size: Int = 20) -> String {
        var html = "<label>\(escape(label)) <input type=\"text\" name=\"\(name)\" size=\"\(size)\""
        if let value = state[name] { html += " value=\"\(escape(value))\"" }
        if let placeholder { html += " placeholder=\"\(escape(placeholder))\"" }
        return html + "></label>\n"
    }

    /// The other table's state, so submitting one form does not reset the other table.
    private func hiddenInputs(_ names: [String]) -> String {
        names.compactMap { name in
            state[name].map { "<input type=\"hidden\" name=\"\(name)\" value=\"\(escape($0))\">\n" }
        }.joined()
    }

}

/// What every console page shares: the document around it (title, navigation, style), and the
/// integrity section (badge, audit head, signed checkpoint).
enum ConsoleChrome {
    enum Page: String { case overview, ledger }

    static func document(title: String, heading: String, device: Device, current: Page, body: String) -> String {
        func navigation(_ page: Page, _ path: String, _ label: String) -> String {
            page == current ? "<a href=\"\(path)\" aria-current=\"page\">\(label)</a>" : "<a href=\"\(path)\">\(label)</a>"
        }
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <header><h1>FacePay console — \(escape(heading))</h1>
        <nav aria-label="Console pages">\(navigation(.overview, "/console", "Overview")) · \(navigation(.ledger, "/console/ledger", "Ledger and audit events"))</nav>
        <p class="who">Read only. Signed in as <code>\(escape(device.id))</code> (\(escape(device.role.rawValue))).</p></header>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    private static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    static func integritySection(report: IntegrityReport, head: AuditHead, checkpoint: AuditCheckpoint?) -> String {
        var html = "<section id=\"integrity\">\n"
        if report.ok {
            html += "<p class=\"badge verified\" id=\"integrity-badge\">Ledger verified through audit event \(report.head.seq) — "
            html += "\(report.eventsChecked) new events, \(report.transfersChecked) new transfers checked</p>\n"
        } else {
            html += "<div class=\"badge failed\" id=\"integrity-badge\"><p>Ledger integrity check failed — \(report.problems.count) "
            html += report.problems.count == 1 ? "problem" : "problems"
            html += " (\(report.eventsChecked) events, \(report.transfersChecked) transfers checked)</p>\n<ul>\n"
            for problem in report.problems {
                html += "<li>\(escape(problem.description))</li>\n"
            }
            html += "</ul>\n"
            if report.problems.count >= ConsoleRoutes.problemsShownMax {
                html += "<p>Listing stops at \(ConsoleRoutes.problemsShownMax) problems; <code>facepay audit verify</code> lists more.</p>\n"
            }
            // Each view re-checks only what came after the last verified head; say where to look further.
            html += "<p><code>facepay audit verify --full</code> re-checks every row, including those verified before.</p>\n"
            html += "</div>\n"
        }
        html += "<p class=\"head\">Audit head: seq <code id=\"head-seq\">\(head.seq)</code>, hash <code id=\"head-hash\">\(escape(head.hash))</code></p>\n"
        if let checkpoint {
            // A receipt: keep it anywhere the database's administrators cannot write, and check
            // later that the log still extends it (`facepay audit verify --receipts`).
            html += "<p class=\"checkpoint\" id=\"checkpoint\">Signed checkpoint: <code id=\"checkpoint-size\">\(checkpoint.treeSize)</code> events, "
            html += "Merkle root <code title=\"\(escape(checkpoint.rootHash))\">\(escape(String(checkpoint.rootHash.prefix(ConsolePage.hashPrefixLength))))…</code>, "
            html += "key <code>\(escape(checkpoint.keyID))</code>, \(escape(checkpoint.time)) — "
            html += "<a id=\"save-receipt\" href=\"/v1/audit/checkpoint\" download=\"facepay-receipt.json\">save receipt</a></p>\n"
        }
        html += "</section>\n"
        return html
    }

    static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
    h1{font-size:1.4em;margin:0}h2{font-size:1.15em;margin-top:1.5em}\
    .who{color:#555;margin:.2em 0 1em}\
    .badge{padding:.6em .9em;border-radius:4px;font-weight:600;margin:.5em 0}\
    .badge p{margin:0}.badge ul{font-weight:400;margin:.4em 0 0}\
    .verified{background:#e3f5e6;border:1px solid #2e8540;color:#1b5e2b}\
    .failed{background:#fbe4e4;border:1px solid #b32121;color:#7a1212}\
    table{border-collapse:collapse;width:100%;font-size:13px}\
    th,td{border:1px solid #ccc;padding:.25em .45em;text-align:left;vertical-align:top;overflow-wrap:anywhere}\
    td.amount{white-space:nowrap}.ok{color:#1b5e2b}.bad{color:#7a1212;font-weight:600}dl.event dt{font-weight:600}dl.event dd{margin:0 0 .4em 1em}\
    ol.proof code,dd code{word-break:break-all}nav a{margin-right:.3em}nav a[aria-current]{font-weight:600}\
    a:focus,button:focus,input:focus,select:focus{outline:2px solid #1a5fb4;outline-offset:1px}\
    .breakdowns{display:grid;grid-template-columns:repeat(auto-fit,minmax(18em,1fr));gap:0 1.5em}\
    #payments-chart{max-width:960px;border:1px solid #ddd}\
    th{background:#f2f2f2;overflow-wrap:normal}.number{text-align:right;font-variant-numeric:tabular-nums}\
    td.detail code{white-space:pre-wrap;word-break:break-all}\
    form{margin:.5em 0}label{margin-right:.6em;white-space:nowrap}\
    .note,.empty{color:#555}.paging{margin:.6em 0}
    """
}
