import FacePayCore
import Foundation
import PostgresNIO
import Stores

/// A transaction that writes the audit chain: it locks the chain head row first, before anything
/// else, and holds it until its commit (LEDGER.md, "PostgreSQL"). Every ledger write of every
/// node is one of these (usually several units batched in one, `PostgresCommitBatcher`), so:
///
/// - the chain is one sequence, and everything numbered inside (transfer, gallery-change,
///   attempt-failure and event seqs) is numbered in commit order, so a reader paging by seq never
///   steps past a row that commits later;
/// - no two chain writers can deadlock: whoever holds the head holds nothing another is waiting
///   for, and every other chain writer waits for the head while holding nothing;
/// - the head is read once per transaction and kept here: an event is one insert, and the head
///   row is written once, before the commit (`storeHead`).
///
/// Used by one task at a time (the batch's); not shared.
final class PostgresChainTransaction {
    let connection: PostgresConnection
    /// The chain's last event, including those appended in this transaction so far.
    private(set) var head: AuditHead
    /// What the head row holds in this transaction.
    private var storedHead: AuditHead

    /// The first statement of every chain transaction.
    static let lockHead: PostgresQuery = "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"

    /// The transaction whose `lockHead` on `connection` answered `rows`.
    init(connection: PostgresConnection, lockedHead rows: [PostgresRow]) throws {
        guard let row = rows.first?.makeRandomAccess() else { throw PostgresRows.corrupt("audit_chain_head has no row") }
        let head = AuditHead(seq: try row["seq"].decode(Int64.self), hash: try row["hash"].decode(String.self))
        self.connection = connection
        self.head = head
        storedHead = head
    }

    /// Locks the head on `connection`, whose transaction must have just begun.
    static func begin(on connection: PostgresConnection) async throws -> PostgresChainTransaction {
        try PostgresChainTransaction(connection: connection, lockedHead: try await connection.query(lockHead, logger: PostgresRows.logger).get().rows)
    }

    /// Appends one event after the head.
    @discardableResult
    func append(actor: String, action: String, subject: String, detail: [String: CanonicalJSON], now: Date) async throws -> AuditEvent {
        let event = AuditChain.next(after: head, actor: actor, action: action, subject: subject, detail: detail, now: now)
        try await PostgresRows.execute(connection, """
            INSERT INTO audit_events (seq, event_id, time, actor, action, subject, detail, prev_hash, hash)
            VALUES (\(event.seq), \(event.eventID), \(event.time), \(event.actor), \(event.action), \(event.subject), \(event.detail),
                    \(event.prevHash), \(event.hash))
            """)
        head = AuditHead(seq: event.seq, hash: event.hash)
        return event
    }

    func append(_ entry: AuditEntry, now: Date) async throws {
        try await append(actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail, now: now)
    }

    /// Several events in order after the head, as rows for `PostgresRows.write`; `advance(to:)`
    /// moves the head once the statement that inserts them ran.
    func events(_ entries: [(entry: AuditEntry, now: Date)]) -> (rows: PostgresRows.RowSet, head: AuditHead) {
        var next = head
        var rows: [[Any?]] = []
        for (entry, now) in entries {
            let event = AuditChain.next(after: next, actor: entry.actor, action: entry.action, subject: entry.subject,
                                        detail: entry.detail, now: now)
            rows.append([event.seq, event.eventID, event.time, event.actor, event.action, event.subject, event.detail, event.prevHash, event.hash])
            next = AuditHead(seq: event.seq, hash: event.hash)
        }
        return (PostgresRows.RowSet(table: "audit_events", columns: [
            ("seq", "BIGINT"), ("event_id", "TEXT"), ("time", "TEXT"), ("actor", "TEXT"), ("action", "TEXT"), ("subject", "TEXT"),
            ("detail", "TEXT"), ("prev_hash", "TEXT"), ("hash", "TEXT"),
        ], rows: rows), next)
    }

    /// The head row's update to `newHead` as a statement of `PostgresRows.write` (no row when
    /// nothing was appended): the set path writes it with its events, one round trip fewer. Call
    /// `advance(to:stored: true)` once that statement ran.
    func headUpdate(to newHead: AuditHead) -> (sql: (String) -> String, rows: PostgresRows.RowSet) {
        ({ placeholder in """
            UPDATE audit_chain_head SET seq = v.seq, hash = v.hash
            FROM jsonb_to_recordset(\(placeholder)::jsonb) AS v(seq BIGINT, hash TEXT) WHERE audit_chain_head.id = 1
            """ }, PostgresRows.RowSet(table: "audit_chain_head", columns: [("seq", "BIGINT"), ("hash", "TEXT")],
                                       rows: newHead == storedHead ? [] : [[newHead.seq, newHead.hash]]))
    }

    func advance(to newHead: AuditHead, stored: Bool = false) {
        head = newHead
        if stored { storedHead = newHead }
    }

    /// Back to where the head was before a unit that was rolled back to its savepoint (whose
    /// statements never write the head row).
    func rollBack(to mark: AuditHead) { head = mark }

    /// Writes the head row if events were appended since it was last written; the last statement
    /// before COMMIT.
    func storeHead() async throws {
        guard head != storedHead else { return }
        try await PostgresRows.execute(connection, "UPDATE audit_chain_head SET seq = \(head.seq), hash = \(head.hash) WHERE id = 1")
        storedHead = head
    }
}
