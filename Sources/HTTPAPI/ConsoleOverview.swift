import FacePayCore
import Foundation
import Stores

/// What the console's overview shows for a period, computed from the pre-aggregated counts
/// (`AuditCountStore`): a number of rows set by the period, the devices and the codes, never by
/// the size of the ledger (`rowsRead` says how many).
struct ConsoleOverview {
    /// The period an auditor picks: today (UTC, by hour), the last 7 UTC days (by day), or custom
    /// (`from`/`to`, whole hours, by hour up to 2 days, else by day; at most `customDaysMax`).
    struct Period: Equatable {
        enum Kind: String { case today, week = "7d", custom }
        let kind: Kind
        let start: Date
        let end: Date
        let bucketSeconds: Int

        static let customDaysMax = 92
        static let hour = 3_600
        static let day = 86_400

        /// Parses `period`, `from`, `to` of the overview's query (400 naming the parameter).
        static func parse(_ query: [String: String], values: AuditorQueries, now: Date) throws -> Period {
            let midnight = rounded(now, to: day, .down)
            switch query["period"] ?? "today" {
            case "", "today":
                return Period(kind: .today, start: midnight, end: midnight + Double(day), bucketSeconds: hour)
            case "7d":
                return Period(kind: .week, start: midnight - Double(6 * day), end: midnight + Double(day), bucketSeconds: day)
            case "custom":
                guard let from = try values.date(query, "from"), let to = try values.date(query, "to") else {
                    throw FacePayError.invalidField("from", "and 'to' are required for a custom period")
                }
                let start = rounded(from, to: hour, .down), end = rounded(to, to: hour, .up)
                guard start < end else { throw FacePayError.invalidField("to", "must be after 'from'") }
                guard end.timeIntervalSince(start) <= Double(customDaysMax * day) else {
                    throw FacePayError.invalidField("to", "a custom period is at most \(customDaysMax) days")
                }
                guard end.timeIntervalSince(start) > Double(2 * day) else {
                    return Period(kind: .custom, start: start, end: end, bucketSeconds: hour)
                }
                // By day: whole UTC days around the hours asked for.
                return Period(kind: .custom, start: rounded(start, to: day, .down), end: rounded(end, to: day, .up), bucketSeconds: day)
            default:
                throw FacePayError.invalidField("period", "must be today, 7d or custom")
            }
        }

        /// `date` rounded down or up to a whole number of `seconds` since the epoch (UTC hours, days).
        static func rounded(_ date: Date, to seconds: Int, _ rule: FloatingPointRoundingRule) -> Date {
            Date(timeIntervalSince1970: (date.timeIntervalSince1970 / Double(seconds)).rounded(rule) * Double(seconds))
        }

        var firstHour: String { AuditCounts.hour(of: start) }
        var lastHour: String { AuditCounts.hour(of: end - 1) }
        var bucketCount: Int { Int(end.timeIntervalSince(start)) / bucketSeconds }
    }

    struct Bucket {
        let start: Date
        var approved: Int64 = 0
        var declined: Int64 = 0
    }

    struct Terminal {
        let deviceID: String
        var approved: Int64 = 0
        var declined: Int64 = 0
        var total: Int64 { approved + declined }
        /// Declines per thousand payments (integers: no floating point in what is compared).
        var declinePerMille: Int64 { total == 0 ? 0 : declined * 1000 / total }
    }

    let period: Period
    let buckets: [Bucket]
    let approved: Int64
    let declined: Int64
    let declinesByCode: [(label: String, count: Int64)]
    let livenessFailuresByCheck: [(label: String, count: Int64)]
    /// Counts of the other counted actions (lockouts, step-ups, enrolments, erasures, purges, kiosk liveness failures).
    let actions: [String: Int64]
    /// Terminals by decline rate, highest first (at most `terminalsShownMax`).
    let terminals: [Terminal]
    let rowsRead: Int

    static let terminalsShownMax = 10
    static let approvedActions: Set<String> = ["payment.approved", "payment.authorized"]

    init(period: Period, rows: [AuditCountRow]) {
        self.period = period
        var buckets = (0..<period.bucketCount).map { Bucket(start: period.start + Double($0 * period.bucketSeconds)) }
        var codes: [String: Int64] = [:], checks: [String: Int64] = [:], actions: [String: Int64] = [:]
        var terminals: [String: Terminal] = [:]
        var approved: Int64 = 0, declined: Int64 = 0
        for row in rows {
            let key = row.key
            guard let hourStart = Date.parseRFC3339(key.hour + ":00:00.000Z"), hourStart >= period.start, hourStart < period.end else { continue }
            let index = Int(hourStart.timeIntervalSince(period.start)) / period.bucketSeconds
            if Self.approvedActions.contains(key.action) {
                approved += row.count
                buckets[index].approved += row.count
                terminals[key.actor, default: Terminal(deviceID: key.actor)].approved += row.count
            } else if key.action == "payment.declined" {
                declined += row.count
                buckets[index].declined += row.count
                codes[key.label.isEmpty ? "(none)" : key.label, default: 0] += row.count
                terminals[key.actor, default: Terminal(deviceID: key.actor)].declined += row.count
            } else if key.action == AuditCounts.livenessCheckFailed {
                checks[key.label, default: 0] += row.count
            } else {
                actions[key.action, default: 0] += row.count
            }
        }
        func sorted(_ counts: [String: Int64]) -> [(label: String, count: Int64)] {
            counts.map { (label: $0.key, count: $0.value) }.sorted { ($1.count, $0.label) < ($0.count, $1.label) }
        }
        self.buckets = buckets
        self.approved = approved
        self.declined = declined
        declinesByCode = sorted(codes)
        livenessFailuresByCheck = sorted(checks)
        self.actions = actions
        self.terminals = Array(terminals.values.sorted {
            ($1.declinePerMille, $1.total, $0.deviceID) < ($0.declinePerMille, $0.total, $1.deviceID)
        }.prefix(Self.terminalsShownMax))
        rowsRead = rows.count
    }
}
