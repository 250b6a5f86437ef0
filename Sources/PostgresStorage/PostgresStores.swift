import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores

/// The stores of the boundary (`Stores`) on one PostgreSQL database that several nodes share.
/// Every unit of work is one transaction with its idempotency record: the (device, key) primary
/// key decides between two nodes running the same request at once — the loser's insert waits
/// for the winner's commit, fails, rolls back everything it did, and returns the winner's
/// stored answer.
public struct PostgresStores: Sendable {
    public let database: PostgresDatabase
    public let keyRing: TemplateKeyRingSource
    /// This node's name on the rows other nodes follow (its failed attempts); new per process.
    public let nodeID: String

    public init(database: PostgresDatabase, keyRing: TemplateKeyRingSource,
                nodeID: String = "node-" + UUID().uuidString.lowercased()) {
        self.database = database
        self.keyRing = keyRing
        self.nodeID = nodeID
    }

    /// Runs `work` in one transaction under the frame's Idempotency-Key.
    func idempotently(_ frame: IdempotencyFrame,
                      _ work: @escaping @Sendable (PostgresConnection) async throws -> StoredResponse) async throws -> IdempotentResponse {
        precondition(IdempotencyKey.isValid(frame.key, charactersMax: 255), "the use case validates the Idempotency-Key")
        do {
            return try await database.transaction { connection in
                if let stored = try await Self.storedResponse(connection, frame.deviceID, frame.key, frame.fingerprint) { return stored }
                let response = try await work(connection)
                try await PostgresRows.execute(connection, """
                    INSERT INTO idempotency_records (device_id, key, request_sha256, response_status, response_body, created_at)
                    VALUES (\(frame.deviceID), \(frame.key), \(frame.fingerprint.hex), \(Int32(response.status)), \(response.body.bytea),
                            \(Timestamp.text(frame.now)))
                    """)
                return IdempotentResponse(status: response.status, body: response.body, replayed: false)
            }
        } catch let error as PSQLError where PostgresDatabase.sqlState(error) == "23505"
            && error.serverInfo?[.constraintName] == "idempotency_records_pkey" {
            // Another node committed the same (device, key) first: its answer is this one's.
            guard let stored = try await storedResponse(deviceID: frame.deviceID, key: frame.key, fingerprint: frame.fingerprint) else {
                throw PostgresDatabase.translated(error)
            }
            return stored
        }
    }

    static func storedResponse(_ connection: PostgresConnection, _ deviceID: String, _ key: String,
                               _ fingerprint: RequestFingerprint) async throws -> IdempotentResponse? {
        guard let stored = try await PostgresRows.first(connection, """
            SELECT request_sha256, response_status, response_body FROM idempotency_records WHERE device_id = \(deviceID) AND key = \(key)
            """, { row in
                (try row["request_sha256"].decode(String.self), Int(try row["response_status"].decode(Int32.self)),
                 Data(try row["response_body"].decode(ByteBuffer.self).readableBytesView))
            }) else { return nil }
        guard stored.0 == fingerprint.hex else {
            throw FacePayError(.conflict, code: "idempotency_conflict",
                               detail: "Idempotency-Key '\(key)' was already used with a different request")
        }
        return IdempotentResponse(status: stored.1, body: stored.2, replayed: true)
    }

    // MARK: The audit chain

    /// Locks the chain head until the transaction ends. Every unit takes it after its account,
    /// template and replay-row locks and before its first numbered insert, so that everything it
    /// numbers (transfer, gallery-change, attempt-failure and event seqs) is numbered in commit
    /// order: a reader paging by seq never steps past a row that commits later. It is the one
    /// lock every ledger write waits for, so a unit does everything it can before taking it.
    static func lockChainHead(_ connection: PostgresConnection) async throws -> AuditHead {
        guard let head = try await PostgresRows.first(connection, "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE", {
            AuditHead(seq: try $0["seq"].decode(Int64.self), hash: try $0["hash"].decode(String.self))
        }) else { throw PostgresRows.corrupt("audit_chain_head has no row") }
        return head
    }

    /// Appends one event after the chain head, which it locks until the transaction ends: the
    /// chain is one sequence however many nodes write (LEDGER.md, "PostgreSQL"). Take it after
    /// every account lock.
    @discardableResult
    static func appendAudit(_ connection: PostgresConnection, actor: String, action: String, subject: String,
                            detail: [String: CanonicalJSON], now: Date) async throws -> AuditEvent {
        let head = try await lockChainHead(connection)
        let event = AuditChain.next(after: head, actor: actor, action: action, subject: subject, detail: detail, now: now)
        // The event and the head's move in one statement: one round trip fewer while the head is held.
        try await PostgresRows.execute(connection, """
            WITH appended AS (
                INSERT INTO audit_events (seq, event_id, time, actor, action, subject, detail, prev_hash, hash)
                VALUES (\(event.seq), \(event.eventID), \(event.time), \(event.actor), \(event.action), \(event.subject), \(event.detail),
                        \(event.prevHash), \(event.hash))
                RETURNING seq, hash)
            UPDATE audit_chain_head SET seq = appended.seq, hash = appended.hash FROM appended WHERE audit_chain_head.id = 1
            """)
        return event
    }

    static func append(_ entry: AuditEntry, _ connection: PostgresConnection, now: Date) async throws {
        try await appendAudit(connection, actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail, now: now)
    }

    /// The failures and the audit events of the locks they engaged, in the decision's transaction.
    func write(_ attempts: FailedAttempts, _ connection: PostgresConnection, now: Date) async throws {
        for failure in attempts.failures {
            try await PostgresRows.execute(connection, """
                INSERT INTO attempt_failures (budget, subject, at_ms, node)
                VALUES (\(failure.budget), \(failure.subject), \(now.epochMilliseconds), \(nodeID))
                """)
        }
        // The other nodes' followers wake at commit (and poll anyway).
        if !attempts.failures.isEmpty { try await PostgresRows.execute(connection, "SELECT pg_notify('facepay_gallery', '')") }
        for entry in attempts.audits { try await Self.append(entry, connection, now: now) }
        if let horizon = attempts.pruneBefore {
            try await PostgresRows.execute(connection, "DELETE FROM attempt_failures WHERE at_ms < \(horizon.epochMilliseconds)")
        }
    }
}

extension PostgresStores: IdempotencyStore {
    /// A row of `idempotency_claims`, taken when absent or when its holder's lease ran out.
    public func claim(deviceID: String, key: String, now: Date, leaseSeconds: Double) async throws -> IdempotencyClaim? {
        let token = UUID().uuidString.lowercased()
        let nowMs = now.epochMilliseconds
        let staleBeforeMs = nowMs - Int64(leaseSeconds * 1000)
        let taken = try await database.read { connection in
            try await PostgresRows.first(connection, """
                INSERT INTO idempotency_claims (device_id, key, token, claimed_at_ms) VALUES (\(deviceID), \(key), \(token), \(nowMs))
                ON CONFLICT (device_id, key) DO UPDATE SET token = EXCLUDED.token, claimed_at_ms = EXCLUDED.claimed_at_ms
                WHERE idempotency_claims.claimed_at_ms < \(staleBeforeMs)
                RETURNING token
                """) { try $0["token"].decode(String.self) }
        }
        return taken == token ? IdempotencyClaim(deviceID: deviceID, key: key, token: token) : nil
    }

    public func release(_ claim: IdempotencyClaim) async {
        // A failed release leaves the row until its lease runs out: the key waits, nothing is lost.
        _ = try? await database.read { connection in
            try await PostgresRows.execute(connection, """
                DELETE FROM idempotency_claims WHERE device_id = \(claim.deviceID) AND key = \(claim.key) AND token = \(claim.token)
                """)
        }
    }

    public func storedResponse(deviceID: String, key: String, fingerprint: RequestFingerprint) async throws -> IdempotentResponse? {
        try await database.read { connection in try await Self.storedResponse(connection, deviceID, key, fingerprint) }
    }
}
