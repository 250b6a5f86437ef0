import FacePayCore
import Foundation
import GRDB
import Stores

/// The append-only, hash-chained audit log in SQLite: the events `AuditChain` makes (its rules
/// are the same on every store), appended after the newest row by the one writer.
///
/// An event is appended inside the SQLite transaction of what it records, so both commit or
/// neither does. Triggers abort every UPDATE and DELETE of `audit_events`.
public enum AuditLog {
    public static let genesisHash = AuditHead.genesisHash

    /// Appends one event after the current head. Call inside the transaction of what it records.
    @discardableResult
    public static func append(_ db: Database, actor: String, action: String, subject: String,
                              detail: [String: CanonicalJSON], now: Date) throws -> AuditEvent {
        let event = AuditChain.next(after: try head(db), actor: actor, action: action, subject: subject, detail: detail, now: now)
        var statement = try RawStatement(db, """
            INSERT INTO audit_events (seq, event_id, time, actor, action, subject, detail, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(event.seq)
        statement.bind(event.eventID)
        statement.bind(event.time)
        statement.bind(event.actor)
        statement.bind(event.action)
        statement.bind(event.subject)
        statement.bind(event.detail)
        statement.bind(event.prevHash)
        statement.bind(event.hash)
        try statement.execute()
        return event
    }

    @discardableResult
    public static func append(_ db: Database, _ entry: AuditEntry, now: Date) throws -> AuditEvent {
        try append(db, actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail, now: now)
    }

    /// The newest event, nil for an empty log.
    public static func head(_ db: Database) throws -> AuditHead? {
        let statement = try RawStatement(db, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        return try LedgerRows.first(statement) { AuditHead(seq: $0.int64(0), hash: $0.string(1)) }
    }

    public static func events(_ db: Database, _ query: AuditEventQuery) throws -> AuditEventPage {
        precondition(query.limit > 0, "page size must be positive")
        let afterSeq = query.afterSeq ?? 0
        var conditions = ["e.seq > ?"]
        var arguments: StatementArguments = [afterSeq]
        // A device or customer filter reads `audit_event_keys` (filled by `AuditCounts.catchUp`):
        // the first key's rows, in seq order, drive the read; a second is an indexed probe.
        var from = "audit_events e"
        for (index, key) in query.keys.enumerated() {
            if index == 0 {
                from = "audit_event_keys k JOIN audit_events e ON e.seq = k.seq"
                conditions.append("k.kind = ? AND k.id = ? AND k.seq > ?")
                _ = arguments.append(contentsOf: [key.kind.rawValue, key.id, afterSeq])
            } else {
                conditions.append("EXISTS (SELECT 1 FROM audit_event_keys k2 WHERE k2.kind = ? AND k2.id = ? AND k2.seq = e.seq)")
                _ = arguments.append(contentsOf: [key.kind.rawValue, key.id])
            }
        }
        if let since = query.since {
            // Event ids sort by time: the UNIQUE index on event_id finds the start.
            conditions.append("e.event_id >= ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.event, at: since)])
        }
        if let until = query.until {
            conditions.append("e.event_id < ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.event, at: until)])
        }
        if let action = query.action {
            conditions.append("e.action = ?")
            _ = arguments.append(contentsOf: [action])
        }
        _ = arguments.append(contentsOf: [query.limit + 1])
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.seq, e.event_id, e.time, e.actor, e.action, e.subject, e.detail, e.prev_hash, e.hash FROM \(from)
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.keys.isEmpty ? "e" : "k").seq LIMIT ?
            """, arguments: arguments)
        let events = rows.prefix(query.limit).map(event(from:))
        return AuditEventPage(events: Array(events), nextCursor: rows.count > query.limit ? events.last?.seq : nil)
    }

    static func event(from row: Row) -> AuditEvent {
        AuditEvent(seq: row["seq"], eventID: row["event_id"], time: row["time"], actor: row["actor"], action: row["action"],
                   subject: row["subject"], detail: row["detail"], prevHash: row["prev_hash"], hash: row["hash"])
    }
}
