import FacePayCore
import Foundation

/// One cell of the console overview's pre-aggregated counts: how many audit events of `action`
/// (with `label`: the decline code of a declined payment, the check of a failed liveness check,
/// else "") a device or actor wrote in one UTC hour (`hour`: "YYYY-MM-DDTHH").
public struct AuditCountKey: Hashable, Sendable {
    public let hour: String
    public let action: String
    public let label: String
    public let actor: String

    public init(hour: String, action: String, label: String, actor: String) {
        self.hour = hour
        self.action = action
        self.label = label
        self.actor = actor
    }
}

public struct AuditCountRow: Sendable, Equatable {
    public let key: AuditCountKey
    public let count: Int64

    public init(key: AuditCountKey, count: Int64) {
        self.key = key
        self.count = count
    }

    public static func == (lhs: AuditCountRow, rhs: AuditCountRow) -> Bool { lhs.key == rhs.key && lhs.count == rhs.count }
}

/// The counts the overview reads: per hour, action, label and actor, folded from the audit log by
/// `AuditCounts.catchUp` behind a cursor, so a view reads a number of rows that depends on the
/// period, the devices and the codes — never on the size of the ledger.
public protocol AuditCountStore: Sendable {
    /// The seq of the last event folded into the counts.
    func auditCountsCursor() async throws -> Int64
    /// Adds `increments` and `keys` (the event filters' index, `AuditEventKey`) and moves the cursor
    /// from `from` to `to` in one transaction — only if the cursor is still `from` (another node may
    /// have folded the same events); returns whether it did.
    func addAuditCounts(_ increments: [AuditCountKey: Int64], keys: [AuditEventKey], cursor from: Int64, to: Int64) async throws -> Bool
    /// The counts of the hours from `firstHour` to `lastHour` (inclusive; "YYYY-MM-DDTHH" sorts as time).
    func auditCounts(firstHour: String, lastHour: String) async throws -> [AuditCountRow]
}

/// What the overview counts, and the fold from events to counts (one place for the rule).
public enum AuditCounts {
    /// The actions counted. Payments by outcome; the lockouts and step-ups of the attempt budgets;
    /// enrolments, erasures and retention purges; liveness failures at kiosks; key rotations.
    public static let countedActions: Set<String> = [
        "payment.approved", "payment.authorized", "payment.declined", "device.locked", "attempts.stepped_up",
        "customer.enrolled", "customer.biometrics_erased", "customer.template_purged",
        "enrolment.liveness_failed", "erasure.liveness_failed", OperatorEvents.templateKeyRotated, OperatorEvents.auditKeyRotated,
    ]
    /// A pseudo-action: one count per failed liveness check named by a payment's event.
    public static let livenessCheckFailed = "liveness.check_failed"

    /// The hour key of an event time ("2026-12-07T14:03:22.123Z" → "2026-12-07T14").
    public static func hour(of time: String) -> String { String(time.prefix(13)) }

    public static func hour(of date: Date) -> String { hour(of: Timestamp.text(date)) }

    /// Longest label and actor kept (the table's CHECK): a longer one is cut, so no value can
    /// stop the fold.
    static let textCharactersMax = 64

    /// An event's detail as the fold reads it: parsed once, for the counts and the filters' keys
    /// alike, and only for the events either reads it of (counted ones and payments).
    static func foldedDetail(_ event: AuditEvent) -> [String: Any] {
        guard countedActions.contains(event.action) || event.action.hasPrefix("payment.") else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(event.detail.utf8))) as? [String: Any] ?? [:]
    }

    /// The increments `events` add (`details`: their `foldedDetail`s, in the same order).
    static func increments(_ events: [AuditEvent], details: [[String: Any]]) -> [AuditCountKey: Int64] {
        func clamp(_ text: String) -> String { text.count <= textCharactersMax ? text : String(text.prefix(textCharactersMax)) }
        var result: [AuditCountKey: Int64] = [:]
        for (event, detail) in zip(events, details) where countedActions.contains(event.action) {
            let hour = hour(of: event.time)
            let label = event.action == "payment.declined" ? (detail["decline_code"] as? String ?? "") : ""
            let actor = clamp(event.actor)
            result[AuditCountKey(hour: hour, action: event.action, label: clamp(label), actor: actor), default: 0] += 1
            for check in detail["liveness_failed_checks"] as? [String] ?? [] {
                result[AuditCountKey(hour: hour, action: livenessCheckFailed, label: clamp(check), actor: actor), default: 0] += 1
            }
        }
        return result
    }

    /// Folds the events after the counts' cursor into the counts, `batch` at a time, at most
    /// `eventsMax` events; returns how many it folded. Safe with several folders at once: a batch
    /// whose cursor moved meanwhile is dropped and re-read.
    @discardableResult
    public static func catchUp(_ store: any AuditCountStore, reader: any AuditReader, batch: Int = 1_000, eventsMax: Int = 100_000) async throws -> Int {
        var folded = 0
        while folded < eventsMax {
            let cursor = try await store.auditCountsCursor()
            let page = try await reader.auditEvents(AuditEventQuery(afterSeq: cursor, limit: min(batch, eventsMax - folded)))
            guard let last = page.events.last else { break }
            let details = page.events.map(foldedDetail)
            if try await store.addAuditCounts(increments(page.events, details: details), keys: AuditEventKey.keys(page.events, details: details),
                                              cursor: cursor, to: last.seq) {
                folded += page.events.count
            }
            if page.nextCursor == nil { break }
        }
        return folded
    }

    /// A page of the log read through the filters' index (a device or customer filter), after
    /// folding what the index lacks (at most `eventsMax` events), so the page misses nothing
    /// written before the call. A backlog larger than that is a 503 `audit_index_behind` (retry:
    /// each call folds more) rather than a page that silently lacks the newest events.
    public static func events(_ query: AuditEventQuery, counts: any AuditCountStore, reader: any AuditReader,
                              eventsMax: Int) async throws -> AuditEventPage {
        let head = try await reader.auditHead()?.seq ?? 0
        try await catchUp(counts, reader: reader, eventsMax: eventsMax)
        let cursor = try await counts.auditCountsCursor()
        if cursor < head {
            throw FacePayError(.unavailable, code: "audit_index_behind",
                               detail: "the event index is \(head - cursor) events behind the log; retry to fold more")
        }
        return try await reader.auditEvents(query)
    }
}
