import FacePayCore
import Foundation
import PostgresNIO
import Stores

/// The integrity check on PostgreSQL, in two modes as on SQLite:
/// - **incremental** (`GET /v1/audit/verify`, the console, `facepay audit verify`): from the last
///   verified state of migration 0005 (`integrity_state`: the audit event and the transfer it
///   reached; `integrity_account_sums`: every account's sums of its transfers up to there), the
///   events after it are hashed and linked from its hash, and the transfers after it are summed
///   into the accounts they touch, which must equal those accounts' counters. Its cost follows
///   what was written since, not the ledger.
/// - **full** (`facepay audit verify --full`): every event and every transfer, trusting nothing
///   stored; when clean, its snapshot becomes the verified state.
///
/// A run reads one snapshot (REPEATABLE READ): every ledger writer takes the audit chain head
/// first and holds it to its commit, so event and transfer seqs are in commit order and the
/// snapshot holds every row up to its last seq. A clean run then advances the state in its own
/// transaction, unless another run moved it meanwhile (that run checked the same rows).
/// What the incremental mode cannot see — a verified row rewritten by someone who can write the
/// database — is what `--full` and, against a kept receipt, the chain head are for (LEDGER.md).
extension PostgresStores {
    public func verifyIntegrity(newSinceLastRun problemsMax: Int) async throws -> IntegrityReport {
        try await verifyIntegrity(full: false, problemsMax: problemsMax)
    }

    /// Every row, trusting no stored state.
    public func verifyIntegrityFully(problemsMax: Int) async throws -> IntegrityReport {
        try await verifyIntegrity(full: true, problemsMax: problemsMax)
    }

    /// The verified state: the audit event and the transfer a clean run reached.
    struct VerifiedState: Equatable {
        var head: AuditHead
        var transferSeq: Int64

        static let genesis = VerifiedState(head: .genesis, transferSeq: 0)
    }

    /// One account as a run saw it: the sums of its transfers up to the run's last transfer
    /// (debits/credits posted, debits/credits pending) and its counters.
    struct AccountSums {
        let id: String
        let expected: [Int64]
        let found: [Int64]
    }

    private func verifyIntegrity(full: Bool, problemsMax: Int) async throws -> IntegrityReport {
        // A problem must be listed to make the run fail (and keep the state where it was).
        precondition(problemsMax > 0, "at least one problem is listed")
        let (report, from, reached, accounts) = try await database.transaction { connection in
            try await PostgresRows.execute(connection, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            var problems: [IntegrityProblem] = []
            func problem(_ table: String, _ row: String, _ check: String, _ expected: String, _ found: String) {
                if problems.count < problemsMax { problems.append(IntegrityProblem(table: table, row: row, check: check, expected: expected, found: found)) }
            }
            let from = full ? VerifiedState.genesis : try await Self.verifiedState(connection)
            // The event the state reached must still be there with its hash.
            if from.head.seq > 0 {
                let stored = try await PostgresRows.first(connection, "SELECT hash FROM audit_events WHERE seq = \(from.head.seq)") {
                    try $0["hash"].decode(String.self)
                }
                if stored != from.head.hash {
                    problem("audit_events", "\(from.head.seq)", "hash (last verified event)", from.head.hash, stored ?? "missing")
                }
            }
            var previous = from.head
            var events = 0
            for try await row in try await connection.query("""
                SELECT seq, event_id, time, actor, action, subject, detail, prev_hash, hash FROM audit_events WHERE seq > \(from.head.seq) ORDER BY seq
                """, logger: PostgresRows.logger) {
                let event = try Self.event(row.makeRandomAccess())
                events += 1
                if event.seq != previous.seq + 1 { problem("audit_events", "\(event.seq)", "seq", "\(previous.seq + 1)", "\(event.seq)") }
                if event.prevHash != previous.hash { problem("audit_events", "\(event.seq)", "prev_hash", previous.hash, event.prevHash) }
                let recomputed = AuditChain.hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm)
                if recomputed != event.hash { problem("audit_events", "\(event.seq)", "hash", recomputed, event.hash) }
                previous = AuditHead(seq: event.seq, hash: event.hash)
            }
            let head = try await PostgresRows.first(connection, "SELECT seq, hash FROM audit_chain_head WHERE id = 1") {
                AuditHead(seq: try $0["seq"].decode(Int64.self), hash: try $0["hash"].decode(String.self))
            }
            if head != previous { problem("audit_chain_head", "1", "head", "\(previous.seq) \(previous.hash)", head.map { "\($0.seq) \($0.hash)" } ?? "none") }

            let (lastTransfer, transfers) = try await PostgresRows.first(connection, """
                SELECT coalesce(max(seq), 0)::BIGINT AS last, count(*)::BIGINT AS n FROM transfers WHERE seq > \(from.transferSeq)
                """) { (try $0["last"].decode(Int64.self), try $0["n"].decode(Int64.self)) } ?? (0, 0)
            let reachedTransfer = max(lastTransfer, from.transferSeq)
            let accounts = try await Self.accountSums(connection, after: from.transferSeq, upTo: reachedTransfer, full: full)
            for account in accounts where account.expected != account.found {
                problem("accounts", account.id, "counters (debits/credits posted, debits/credits pending)",
                        account.expected.map(String.init).joined(separator: "/"), account.found.map(String.init).joined(separator: "/"))
            }
            let report = IntegrityReport(eventsChecked: events, transfersChecked: Int(transfers), problems: problems,
                                         mode: full ? .full : .incremental, head: previous)
            return (report, from, VerifiedState(head: previous, transferSeq: reachedTransfer), accounts)
        }
        if report.ok && reached != from {
            try await advance(from: full ? nil : from, to: reached, accounts: accounts)
        }
        return report
    }

    static func verifiedState(_ connection: PostgresConnection) async throws -> VerifiedState {
        try await PostgresRows.first(connection, "SELECT audit_seq, audit_hash, transfer_seq FROM integrity_state WHERE id = 1") {
            VerifiedState(head: AuditHead(seq: try $0["audit_seq"].decode(Int64.self), hash: try $0["audit_hash"].decode(String.self)),
                          transferSeq: try $0["transfer_seq"].decode(Int64.self))
        } ?? .genesis
    }

    /// The accounts the transfers in (after, upTo] touch (every account, for a full run), each
    /// with its stored sums plus those transfers' effects (a full run starts from zero), and its
    /// counters. A posting kind adds to posted; a hold adds to pending; a capture, void or expiry
    /// takes its hold's amount off pending (the capture's own amount is posted).
    static func accountSums(_ connection: PostgresConnection, after: Int64, upTo: Int64, full: Bool) async throws -> [AccountSums] {
        let accounts = full
            ? "accounts a LEFT JOIN delta d ON d.account_id = a.id LEFT JOIN integrity_account_sums b ON false"
            : "delta d JOIN accounts a ON a.id = d.account_id LEFT JOIN integrity_account_sums b ON b.account_id = a.id"
        return try await PostgresRows.all(connection, """
            WITH new AS (SELECT kind, debit_account_id, credit_account_id, amount, pending_id FROM transfers WHERE seq > \(after) AND seq <= \(upTo)),
            moves AS (
                SELECT debit_account_id AS account_id, amount AS dp, 0 AS cp, 0 AS dq, 0 AS cq FROM new WHERE kind IN ('deposit', 'payment', 'capture', 'refund')
                UNION ALL SELECT credit_account_id, 0, amount, 0, 0 FROM new WHERE kind IN ('deposit', 'payment', 'capture', 'refund')
                UNION ALL SELECT debit_account_id, 0, 0, amount, 0 FROM new WHERE kind = 'hold'
                UNION ALL SELECT credit_account_id, 0, 0, 0, amount FROM new WHERE kind = 'hold'
                UNION ALL SELECT h.debit_account_id, 0, 0, -h.amount, 0 FROM new r JOIN transfers h ON h.id = r.pending_id
                UNION ALL SELECT h.credit_account_id, 0, 0, 0, -h.amount FROM new r JOIN transfers h ON h.id = r.pending_id
            ),
            delta AS (
                SELECT account_id, sum(dp)::BIGINT AS dp, sum(cp)::BIGINT AS cp, sum(dq)::BIGINT AS dq, sum(cq)::BIGINT AS cq
                FROM moves GROUP BY account_id
            )
            SELECT a.id, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
                   (coalesce(b.debits_posted, 0) + coalesce(d.dp, 0))::BIGINT AS dp, (coalesce(b.credits_posted, 0) + coalesce(d.cp, 0))::BIGINT AS cp,
                   (coalesce(b.debits_pending, 0) + coalesce(d.dq, 0))::BIGINT AS dq, (coalesce(b.credits_pending, 0) + coalesce(d.cq, 0))::BIGINT AS cq
            FROM \(unescaped: accounts)
            ORDER BY a.id
            """) { row in
            AccountSums(id: try row["id"].decode(String.self),
                        expected: try ["dp", "cp", "dq", "cq"].map { try row[$0].decode(Int64.self) },
                        found: try ["debits_posted", "credits_posted", "debits_pending", "credits_pending"].map { try row[$0].decode(Int64.self) })
        }
    }

    /// Stores a clean run's state: the sums of the accounts it saw (a full run replaces them all)
    /// and how far it reached — unless an incremental run started from a state another run has
    /// moved since (`from` nil: a full run, which writes regardless).
    private func advance(from: VerifiedState?, to reached: VerifiedState, accounts: [AccountSums]) async throws {
        try await database.transaction { connection in
            try await PostgresRows.execute(connection, "SELECT pg_advisory_xact_lock(\(Self.integrityLockKey))")
            if let from, try await Self.verifiedState(connection) != from { return }
            if from == nil { try await PostgresRows.execute(connection, "DELETE FROM integrity_account_sums") }
            for page in stride(from: 0, to: accounts.count, by: 1000).map({ accounts[$0..<min($0 + 1000, accounts.count)] }) {
                let column = { (index: Int) in page.map { $0.expected[index] } }
                try await PostgresRows.execute(connection, """
                    INSERT INTO integrity_account_sums (account_id, debits_posted, credits_posted, debits_pending, credits_pending)
                    SELECT * FROM unnest(\(page.map(\.id))::TEXT[], \(column(0))::BIGINT[], \(column(1))::BIGINT[], \(column(2))::BIGINT[],
                                         \(column(3))::BIGINT[])
                    ON CONFLICT (account_id) DO UPDATE SET debits_posted = excluded.debits_posted, credits_posted = excluded.credits_posted,
                        debits_pending = excluded.debits_pending, credits_pending = excluded.credits_pending
                    """)
            }
            try await PostgresRows.execute(connection, """
                INSERT INTO integrity_state (id, audit_seq, audit_hash, transfer_seq, verified_at)
                VALUES (1, \(reached.head.seq), \(reached.head.hash), \(reached.transferSeq), \(Date().rfc3339))
                ON CONFLICT (id) DO UPDATE SET audit_seq = excluded.audit_seq, audit_hash = excluded.audit_hash,
                    transfer_seq = excluded.transfer_seq, verified_at = excluded.verified_at
                """)
        }
    }

    /// "INTEGRTY" as a number: the lock a state advance runs under.
    static let integrityLockKey: Int64 = 0x494E_5445_4752_5459
}
