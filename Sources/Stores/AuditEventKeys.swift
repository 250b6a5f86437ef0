import Foundation

/// Who an audit event is about, as the console and `GET /v1/audit/events` filter by: the device
/// (or `operator`, `system`) that wrote it, and the customer it concerns. Kept in
/// `audit_event_keys` beside the overview's counts — folded from the log by the same cursor
/// (`AuditCounts.catchUp`), off the payment path — so a filtered page reads the matching rows
/// only, never the whole log.
public struct AuditEventKey: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case actor, customer
    }

    public let kind: Kind
    public let id: String
    public let seq: Int64

    public init(kind: Kind, id: String, seq: Int64) {
        self.kind = kind
        self.id = id
        self.seq = seq
    }

    /// Longest id kept (the table's CHECK, the longest subject the log allows). A longer
    /// customer id in a detail is not indexed rather than cut: a cut id would match a filter
    /// for a different customer.
    public static let idCharactersMax = 128

    /// The actions whose subject is the customer they concern (a verification's subject falls
    /// back to the device itself when it matched nobody).
    static let customerSubjectActions = ["customer.", "erasure.", "verification."]

    /// The keys of `events`: each event's actor, and its customer — a payment's `customer_id`
    /// (its detail), or the subject of a customer's, an erasure's or a verification's event.
    /// Captures, voids, expiries and refunds name their payment, not the customer: the
    /// payment's own events carry the customer.
    /// `details` are the events' parsed details (`AuditCounts.foldedDetail`), in the same order.
    static func keys(_ events: [AuditEvent], details: [[String: Any]]) -> [AuditEventKey] {
        var keys: [AuditEventKey] = []
        keys.reserveCapacity(events.count * 2)
        for (event, detail) in zip(events, details) {
            keys.append(AuditEventKey(kind: .actor, id: event.actor, seq: event.seq))
            if let customer = customer(of: event, detail: detail), !customer.isEmpty, customer.count <= idCharactersMax {
                keys.append(AuditEventKey(kind: .customer, id: customer, seq: event.seq))
            }
        }
        return keys
    }

    static func customer(of event: AuditEvent, detail: [String: Any]) -> String? {
        if customerSubjectActions.contains(where: event.action.hasPrefix) {
            return event.subject == event.actor ? nil : event.subject
        }
        // Only payments' details name a customer.
        return event.action.hasPrefix("payment.") ? detail["customer_id"] as? String : nil
    }
}
