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
    /// This node's erasure journal (in its data directory): the erasures it made or followed,
    /// re-applied at start-up (`ErasureJournal`); nil for commands that erase nothing.
    public let erasureJournal: ErasureJournal?
    /// Every chain write of this node goes through it (group commit).
    let batcher: PostgresCommitBatcher

    public init(database: PostgresDatabase, keyRing: TemplateKeyRingSource, nodeID: String = "node-" + UUID().uuidString.lowercased(),
                limits: Limits = Limits(), erasureJournal: ErasureJournal? = nil) {
        self.database = database
        self.keyRing = keyRing
        self.nodeID = nodeID
        self.erasureJournal = erasureJournal
        batcher = PostgresCommitBatcher(database: database, batchSizeMax: limits.postgresBatchMax, queueDepthMax: limits.commitQueueMax,
                                        gather: .microseconds(limits.postgresGatherMicroseconds))
    }

    /// Told the size of every batch this node committed (the server's metrics).
    public var commitBatchObserver: CommitBatchObserver { batcher.batchObserver }

    /// This node's ledger writes waiting for a batch.
    public var commitQueueDepth: Int { batcher.queuedCount }

    /// Runs `work` as one unit of the next batch transaction of this node (it holds the audit chain
    /// head: `PostgresChainTransaction`) and returns once that transaction committed.
    func chainWrite<T: Sendable>(_ work: @escaping @Sendable (PostgresChainTransaction) async throws -> T) async throws -> T {
        do {
            return try await batcher.submit(work)
        } catch {
            throw PostgresDatabase.surfaced(error)
        }
    }

    /// Runs `work` as one unit under the frame's Idempotency-Key; a payment given as `set` runs
    /// in its batch's set-oriented path instead, and `work` only when that path hands it back.
    func idempotently(_ frame: IdempotencyFrame, set: PostgresPaymentBatch.Unit? = nil,
                      _ work: @escaping @Sendable (PostgresChainTransaction) async throws -> StoredResponse) async throws -> IdempotentResponse {
        precondition(IdempotencyKey.isValid(frame.key, charactersMax: 255), "the use case validates the Idempotency-Key")
        let unit: @Sendable (PostgresChainTransaction) async throws -> IdempotentResponse = { transaction in
            let connection = transaction.connection
            if let stored = try await Self.storedResponse(connection, frame.deviceID, frame.key, frame.fingerprint) { return stored }
            let response = try await work(transaction)
            try await PostgresRows.execute(connection, """
                INSERT INTO idempotency_records (device_id, key, request_sha256, response_status, response_body, created_at)
                VALUES (\(frame.deviceID), \(frame.key), \(frame.fingerprint.hex), \(Int32(response.status)), \(response.body.bytea),
                        \(Timestamp.text(frame.now)))
                """)
            return IdempotentResponse(status: response.status, body: response.body, replayed: false)
        }
        do {
            guard let set else { return try await chainWrite(unit) }
            do {
                return try await batcher.submit(payment: set, individually: unit)
            } catch {
                throw PostgresDatabase.surfaced(error)
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
        return try replay(stored, key: key, fingerprint: fingerprint)
    }

    /// A stored answer for a request under its key: replayed when the request is the same one,
    /// else 409 `idempotency_conflict` (one unit's lookup and a batch's).
    static func replay(_ stored: (fingerprint: String, status: Int, body: Data), key: String,
                       fingerprint: RequestFingerprint) throws -> IdempotentResponse {
        guard stored.fingerprint == fingerprint.hex else {
            throw FacePayError(.conflict, code: "idempotency_conflict",
                               detail: "Idempotency-Key '\(key)' was already used with a different request")
        }
        return IdempotentResponse(status: stored.status, body: stored.body, replayed: true)
    }

    /// The failures and the audit events of the locks they engaged, in the decision's transaction.
    func write(_ attempts: FailedAttempts, _ transaction: PostgresChainTransaction, now: Date) async throws {
        let connection = transaction.connection
        for failure in attempts.failures {
            try await PostgresRows.execute(connection, """
                INSERT INTO attempt_failures (budget, subject, at_ms, node)
                VALUES (\(failure.budget), \(failure.subject), \(now.epochMilliseconds), \(nodeID))
                """)
        }
        // The other nodes' followers wake at commit (and poll anyway).
        if !attempts.failures.isEmpty { try await PostgresRows.execute(connection, "SELECT pg_notify('facepay_gallery', '')") }
        for entry in attempts.audits { try await transaction.append(entry, now: now) }
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

extension PostgresStores: OperatorAuditLog {
    public func recordOperatorEvent(_ entry: AuditEntry, now: Date) async throws -> AuditEvent {
        try await chainWrite { transaction in
            try await transaction.append(actor: entry.actor, action: entry.action, subject: entry.subject, detail: entry.detail, now: now)
        }
    }
}
