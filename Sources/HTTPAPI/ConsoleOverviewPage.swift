import FacePayCore
import Foundation
import Stores

/// The console's first page: for a period, approvals and declines over time (an SVG chart the
/// server draws), declines by code, liveness failures by check, lockouts, step-ups, enrolments,
/// erasures and purges, and the terminals by decline rate — each number a link to the audit
/// events or transfers behind it. No script; every value escaped.
struct ConsoleOverviewPage {
    let device: Device
    let overview: ConsoleOverview
    let integrity: String
    let time: ConsoleTime

    func render() -> String {
        ConsoleChrome.document(title: "FacePay console — overview", heading: "Overview", device: device, current: .overview,
                               body: integrity + periodForm() + summary() + chart() + breakdowns() + terminalsTable()
                                   + "<p class=\"note\">Computed from <span id=\"rows-read\">\(overview.rowsRead)</span> pre-aggregated count rows (per hour, action, code and device), not from the ledger itself.</p>\n")
    }

    private var period: ConsoleOverview.Period { overview.period }

    /// The ledger page filtered to this period (and more).
    private func ledgerLink(_ extra: [String: String]) -> String {
        var values = extra
        values["since"] = period.start.rfc3339
        values["until"] = period.end.rfc3339
        return ConsoleState.link(path: "/console/ledger", names: ConsoleState.allNames, values: values)
    }

    private func countLink(_ count: Int64, action: String, id: String? = nil) -> String {
        let idAttribute = id.map { " id=\"\(escape($0))\"" } ?? ""
        return "<a\(idAttribute) href=\"\(escape(ledgerLink(["action": action])))#events\">\(count)</a>"
    }

    private func periodForm() -> String {
        func option(_ value: String, _ label: String) -> String {
            "<option value=\"\(value)\"\(period.kind.rawValue == value ? " selected" : "")>\(label)</option>"
        }
        let custom = period.kind == .custom
        return """
        <section id="period" aria-labelledby="period-heading"><h2 id="period-heading">Period</h2>
        <form method="get" action="/console">
        <label for="period-select">Period</label> <select id="period-select" name="period">\(option("today", "Today (UTC)"))\(option("7d", "Last 7 days (UTC)"))\(option("custom", "Custom"))</select>
        <label for="period-from">From</label> <input id="period-from" name="from" size="22" placeholder="2026-12-01T00:00:00Z" value="\(custom ? escape(period.start.rfc3339) : "")">
        <label for="period-to">To</label> <input id="period-to" name="to" size="22" placeholder="2026-12-08T00:00:00Z" value="\(custom ? escape(period.end.rfc3339) : "")">
        <button type="submit">Show</button>
        </form>
        <p class="note">\(time.element(period.start)) to \(time.element(period.end)), by \(period.bucketSeconds == ConsoleOverview.Period.hour ? "hour" : "day").</p>
        </section>

        """
    }

    private func summary() -> String {
        """
        <section id="summary" aria-labelledby="summary-heading"><h2 id="summary-heading">Payments</h2>
        <p><strong>\(countLink(overview.approved, action: "payment.approved", id: "approved-count"))</strong> approved or authorized, \
        <strong>\(countLink(overview.declined, action: "payment.declined", id: "declined-count"))</strong> declined.</p>
        </section>

        """
    }

    /// Stacked bars, approved below declined, one per bucket, each a link to its hour's or day's
    /// rows; a table of the same numbers follows for screen readers and copying.
    private func chart() -> String {
        let width = 960, height = 200, left = 44, bottom = 24, top = 8
        let count = max(1, overview.buckets.count)
        let slot = Double(width - left) / Double(count)
        let largest = max(1, overview.buckets.map { $0.approved + $0.declined }.max() ?? 1)
        let scale = Double(height - bottom - top) / Double(largest)
        var svg = "<svg id=\"payments-chart\" role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">\n"
        svg += "<title id=\"chart-title\">Approved (green) and declined (red) payments per \(period.bucketSeconds == ConsoleOverview.Period.hour ? "hour" : "day")</title>\n"
        let baseline = height - bottom
        svg += "<line x1=\"\(left)\" y1=\"\(baseline)\" x2=\"\(width)\" y2=\"\(baseline)\" stroke=\"#555\"/>\n"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" text-anchor=\"end\" font-size=\"11\">\(largest)</text>\n"
        svg += "<text x=\"\(left - 6)\" y=\"\(baseline)\" text-anchor=\"end\" font-size=\"11\">0</text>\n"
        let labelEvery = max(1, count / 12)
        for (index, bucket) in overview.buckets.enumerated() {
            let x = Double(left) + Double(index) * slot + slot * 0.1
            let barWidth = max(1, slot * 0.8)
            let approvedHeight = Double(bucket.approved) * scale, declinedHeight = Double(bucket.declined) * scale
            let end = bucket.start + Double(period.bucketSeconds)
            let label = "\(Self.bucketLabel(bucket.start, seconds: period.bucketSeconds)): \(bucket.approved) approved, \(bucket.declined) declined"
            let link = ConsoleState.link(path: "/console/ledger", names: ConsoleState.allNames,
                                         values: ["since": bucket.start.rfc3339, "until": end.rfc3339])
            svg += "<a href=\"\(escape(link))\"><g class=\"bucket\"><title>\(escape(label))</title>"
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2e8540\"/>", x, Double(baseline) - approvedHeight, barWidth, approvedHeight)
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#b32121\"/>", x, Double(baseline) - approvedHeight - declinedHeight, barWidth, declinedHeight)
            // An invisible full-height target, so an empty bucket is still a link.
            svg += String(format: "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"transparent\"/>", x, top, barWidth, baseline - top)
            svg += "</g></a>\n"
            if index % labelEvery == 0 {
                svg += String(format: "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">", x + barWidth / 2, height - 6)
                svg += escape(Self.axisLabel(bucket.start, seconds: period.bucketSeconds)) + "</text>\n"
            }
        }
        svg += "</svg>\n"
        var table = "<details><summary>The chart's numbers</summary>\n<table id=\"chart-table\"><thead><tr><th scope=\"col\">\(period.bucketSeconds == ConsoleOverview.Period.hour ? "Hour" : "Day") (UTC)</th><th scope=\"col\" class=\"number\">Approved</th><th scope=\"col\" class=\"number\">Declined</th></tr></thead><tbody>\n"
        for bucket in overview.buckets {
            table += "<tr><td>\(time.element(bucket.start))</td><td class=\"number\">\(bucket.approved)</td><td class=\"number\">\(bucket.declined)</td></tr>\n"
        }
        table += "</tbody></table></details>\n"
        return "<section id=\"chart\" aria-labelledby=\"chart-heading\"><h2 id=\"chart-heading\">Approvals and declines over time</h2>\n\(svg)\(table)</section>\n"
    }

    private func breakdowns() -> String {
        func table(_ id: String, _ heading: String, _ column: String, _ rows: [(label: String, count: Int64)], action: String) -> String {
            var html = "<section id=\"\(id)\" aria-labelledby=\"\(id)-heading\" class=\"breakdown\"><h2 id=\"\(id)-heading\">\(heading)</h2>\n"
            if rows.isEmpty { return html + "<p class=\"empty\">None in this period.</p></section>\n" }
            html += "<table><thead><tr><th scope=\"col\">\(column)</th><th scope=\"col\" class=\"number\">Count</th></tr></thead><tbody>\n"
            for row in rows {
                html += "<tr><td><code>\(escape(row.label))</code></td><td class=\"number\">\(countLink(row.count, action: action))</td></tr>\n"
            }
            return html + "</tbody></table></section>\n"
        }
        let others: [(action: String, label: String)] = [
            ("device.locked", "Device lockouts"), ("attempts.stepped_up", "Step-ups (hint required)"),
            ("customer.enrolled", "Enrolments"), ("customer.biometrics_erased", "Erasures"),
            ("customer.template_purged", "Templates purged by retention"),
            ("enrolment.liveness_failed", "Enrolments refused by liveness"), ("erasure.liveness_failed", "Erasures refused by liveness"),
            (OperatorEvents.templateKeyRotated, "Template key rotations"), (OperatorEvents.auditKeyRotated, "Audit signing key rotations"),
        ]
        var events = "<section id=\"events-summary\" aria-labelledby=\"events-summary-heading\" class=\"breakdown\"><h2 id=\"events-summary-heading\">Lockouts, step-ups, enrolments, erasures, key rotations</h2>\n"
        events += "<table><thead><tr><th scope=\"col\">Event</th><th scope=\"col\" class=\"number\">Count</th></tr></thead><tbody>\n"
        for (action, label) in others {
            events += "<tr><td>\(label) <code>\(action)</code></td><td class=\"number\">\(countLink(overview.actions[action] ?? 0, action: action, id: "count-\(action)"))</td></tr>\n"
        }
        events += "</tbody></table></section>\n"
        return "<div class=\"breakdowns\">\n"
            + table("declines", "Declines by code", "Decline code", overview.declinesByCode, action: "payment.declined")
            + table("liveness", "Liveness failures by check", "Check", overview.livenessFailuresByCheck, action: "payment.declined")
            + events + "</div>\n"
    }

    private func terminalsTable() -> String {
        var html = "<section id=\"terminals\" aria-labelledby=\"terminals-heading\"><h2 id=\"terminals-heading\">Terminals by decline rate</h2>\n"
        if overview.terminals.isEmpty { return html + "<p class=\"empty\">No payments in this period.</p></section>\n" }
        html += "<table><thead><tr><th scope=\"col\">Terminal</th><th scope=\"col\" class=\"number\">Payments</th><th scope=\"col\" class=\"number\">Declined</th><th scope=\"col\" class=\"number\">Decline rate</th></tr></thead><tbody>\n"
        for terminal in overview.terminals {
            let rate = "\(terminal.declinePerMille / 10).\(terminal.declinePerMille % 10) %"
            html += "<tr class=\"terminal\"><td><a href=\"\(escape(ledgerLink(["device_id": terminal.deviceID])))#transfers\"><code>\(escape(terminal.deviceID))</code></a></td>"
            html += "<td class=\"number\">\(terminal.total)</td><td class=\"number\">\(terminal.declined)</td><td class=\"number\">\(rate)</td></tr>\n"
        }
        return html + "</tbody></table></section>\n"
    }

    static func bucketLabel(_ date: Date, seconds: Int) -> String {
        let text = date.rfc3339
        return seconds == ConsoleOverview.Period.hour ? "\(text.prefix(13).replacingOccurrences(of: "T", with: " ")):00 UTC" : "\(text.prefix(10)) (UTC)"
    }

    static func axisLabel(_ date: Date, seconds: Int) -> String {
        let text = date.rfc3339
        return seconds == ConsoleOverview.Period.hour ? String(text.dropFirst(11).prefix(5)) : String(text.dropFirst(5).prefix(5))
    }

    private func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
