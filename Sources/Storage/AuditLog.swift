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
        var conditions = ["seq > ?"]
        var arguments: StatementArguments = [query.afterSeq ?? 0]
        if let since = query.since {
            // Event ids sort by time: the UNIQUE index on event_id finds the start.
            conditions.append("event_id >= ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.event, at: since)])
        }
        if let until = query.until {
            conditions.append("event_id < ?")
            _ = arguments.append(contentsOf: [LedgerIdentifier.lowerBound(.event, at: until)])
        }
        if let action = query.action {
            conditions.append("action = ?")
            _ = arguments.append(contentsOf: [action])
        }
        _ = arguments.append(contentsOf: [query.limit + 1])
        let rows = try Row.fetchAll(db, sql: """
            SELECT seq, event_id, time, actor, action, subject, detail, prev_hash, hash FROM audit_events
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq LIMIT ?
            """, arguments: arguments)
        let events = rows.prefix(query.limit).map(event(from:))
        return AuditEventPage(events: Array(events), nextCursor: rows.count > query.limit ? events.last?.seq : nil)
    }

    static func event(from row: Row) -> AuditEvent {
        AuditEvent(seq: row["seq"], eventID: row["event_id"], time: row["time"], actor: row["actor"], action: row["action"],
                   subject: row["subject"], detail: row["detail"], prevHash: row["prev_hash"], hash: row["hash"])
    }
}
