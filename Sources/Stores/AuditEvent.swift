import Foundation

/// One row of the hash-chained audit log.
///
/// `detail` is the canonical JSON text of the event's non-biometric facts (amounts, ids, codes),
/// exactly as hashed. `canonicalForm` is the text that, prefixed by `prevHash`, hashes to `hash`.
public struct AuditEvent: Sendable, Equatable, Codable {
    public let seq: Int64
    public let eventID: String
    /// RFC 3339 UTC with milliseconds, as stored and hashed.
    public let time: String
    /// A device id, `operator` or `system`.
    public let actor: String
    public let action: String
    public let subject: String
    public let detail: String
    public let prevHash: String
    public let hash: String

    enum CodingKeys: String, CodingKey {
        case seq, time, actor, action, subject, detail, hash
        case eventID = "event_id"
        case prevHash = "prev_hash"
    }

    public init(seq: Int64, eventID: String, time: String, actor: String, action: String, subject: String,
                detail: String, prevHash: String, hash: String) {
        self.seq = seq
        self.eventID = eventID
        self.time = time
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// The newest event of the chain (`GET /v1/audit/head`); auditors keep it to detect a truncated log.
public struct AuditHead: Sendable, Equatable, Codable {
    public let seq: Int64
    public let hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }

    /// The `prev_hash` of the first event: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)
    /// The head of an empty log.
    public static let genesis = AuditHead(seq: 0, hash: genesisHash)
}

/// Filters for reading the log (`GET /v1/audit/events?since=&until=&action=&actor=&customer_id=&cursor=`).
public struct AuditEventQuery: Sendable, Equatable {
    /// Only events at or after this time.
    public var since: Date?
    public var action: String?
    /// Only events written by this device (or `operator`, `system`), and only events about this
    /// customer: both read through `audit_event_keys`, which `AuditCounts.catchUp` fills — read
    /// them with `AuditCounts.events`, which catches up first.
    public var actor: String?
    public var customerID: String?
    /// Only events after this seq (the previous page's `nextCursor`).
    public var afterSeq: Int64?
    public var limit: Int
    /// Only events before this time (the console's period links).
    public var until: Date?

    public init(since: Date? = nil, action: String? = nil, afterSeq: Int64? = nil, limit: Int = 100, until: Date? = nil,
                actor: String? = nil, customerID: String? = nil) {
        self.since = since
        self.action = action
        self.actor = actor
        self.customerID = customerID
        self.afterSeq = afterSeq
        self.limit = limit
        self.until = until
    }

    /// The key filters, in the order a store joins them (the first drives the read).
    public var keys: [(kind: AuditEventKey.Kind, id: String)] {
        [actor.map { (AuditEventKey.Kind.actor, $0) }, customerID.map { (AuditEventKey.Kind.customer, $0) }].compactMap { $0 }
    }
}

public struct AuditEventPage: Sendable, Equatable {
    public let events: [AuditEvent]
    /// The seq to pass as `afterSeq` for the next page, nil on the last page.
    public let nextCursor: Int64?

    public init(events: [AuditEvent], nextCursor: Int64?) {
        self.events = events
        self.nextCursor = nextCursor
    }
}
