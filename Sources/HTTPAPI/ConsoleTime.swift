import FacePayCore
import Foundation

/// Times on the console: shown in UTC (what the ledger stores and the API returns), the exact
/// instant in `datetime`, and on hover the same time in the console's time zone
/// (`--console-time-zone`, default the server's). The page runs no script, so it cannot read the
/// viewer's own zone; the operator sets the one the auditors work in.
struct ConsoleTime: Sendable {
    let zone: TimeZone

    /// `<time>` for a stored RFC 3339 time; text that does not parse is shown as it is, escaped.
    func element(_ text: String) -> String {
        guard let date = Date.parseRFC3339(text) else { return HTMLEscaping.escape(text) }
        return element(date)
    }

    func element(_ date: Date) -> String {
        let utc = date.rfc3339
        let shown = utc.prefix(19).replacingOccurrences(of: "T", with: " ") + " UTC"
        return "<time datetime=\"\(utc)\" title=\"\(HTMLEscaping.escape(local(date)))\">\(shown)</time>"
    }

    /// "2026-12-07 15:49:22 Europe/Berlin (UTC+01:00)".
    func local(_ date: Date) -> String {
        let offset = zone.secondsFromGMT(for: date)
        let text = Date(timeIntervalSince1970: date.timeIntervalSince1970 + Double(offset)).rfc3339
        let sign = offset < 0 ? "-" : "+"
        let minutes = abs(offset) / 60
        let hours = String(minutes / 60), rest = String(minutes % 60)
        return text.prefix(19).replacingOccurrences(of: "T", with: " ") + " \(zone.identifier) (UTC\(sign)"
            + String(repeating: "0", count: 2 - hours.count) + hours + ":" + String(repeating: "0", count: 2 - rest.count) + rest + ")"
    }
}
