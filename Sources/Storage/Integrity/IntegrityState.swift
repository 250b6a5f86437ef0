import Foundation
import GRDB
import Stores

/// What the last successful verification covered (migration 0006): the audit head it reached and
/// the last transfer it replayed. With the per-account sums and open holds stored beside it, it is
/// all an incremental run needs to check only what came after.
public struct IntegrityState: Sendable, Equatable {
    public var auditHead: AuditHead
    public var transferSeq: Int64

    public init(auditHead: AuditHead, transferSeq: Int64) {
        self.auditHead = auditHead
        self.transferSeq = transferSeq
    }

    /// Nothing verified yet: the chain starts at the genesis hash, the replay at the first transfer.
    public static let genesis = IntegrityState(auditHead: AuditHead(seq: 0, hash: AuditLog.genesisHash), transferSeq: 0)
}

/// What a successful run adds to the persisted state.
struct IntegrityStateChanges: Sendable {
    /// New sums of every account the run replayed transfers of.
    var sums: [String: LedgerCounters]
    var holdsOpened: [String: OpenHold]
    var holdsResolved: Set<String>
    /// A full run replaces the stored sums and holds instead of adding to them.
    var replacesAll: Bool
}

/// Reads and writes the tables of migration 0006.
enum IntegrityStateStore {
    static func load(_ context: IntegrityCheckContext) throws -> IntegrityState {
        guard let row = try context.firstRow("SELECT audit_seq, audit_hash, transfer_seq FROM integrity_state WHERE id = 1") else {
            return .genesis
        }
        return IntegrityState(auditHead: AuditHead(seq: row[0], hash: row[1]), transferSeq: row[2])
    }

    static func load(_ db: Database) throws -> IntegrityState {
        guard let row = try Row.fetchOne(db, sql: "SELECT audit_seq, audit_hash, transfer_seq FROM integrity_state WHERE id = 1") else {
            return .genesis
        }
        return IntegrityState(auditHead: AuditHead(seq: row[0], hash: row[1]), transferSeq: row[2])
    }

    /// The baseline an incremental replay starts from.
    static func baseline(_ state: IntegrityState) -> TransferReplayCheck.Baseline {
        TransferReplayCheck.Baseline(
            afterSeq: state.transferSeq,
            sums: { context, accountID in
                guard let row = try context.firstRow("""
                    SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM integrity_account_sums
                    WHERE account_id = ?
                    """, [accountID]) else { return LedgerCounters() }
                return LedgerCounters(debitsPending: Int128(row[0] as Int64), debitsPosted: Int128(row[1] as Int64),
                                      creditsPending: Int128(row[2] as Int64), creditsPosted: Int128(row[3] as Int64))
            },
            openHold: { context, id in
                guard let row = try context.firstRow("""
                    SELECT amount, debit_account_id, credit_account_id FROM integrity_open_holds WHERE transfer_id = ?
                    """, [id]) else { return nil }
                return OpenHold(amount: row[0], debitAccountID: row[1], creditAccountID: row[2])
            })
    }

    /// Moves the stored state from `from` to `to`, in the caller's write transaction. Returns false
    /// (and writes nothing) when another run already moved it: that run checked the same rows,
    /// and writing ours over it could step the state backwards.
    static func advance(_ db: Database, from: IntegrityState, to: IntegrityState, changes: IntegrityStateChanges, now: Date) throws -> Bool {
        guard try load(db) == from || changes.replacesAll else { return false }
        if changes.replacesAll {
            try db.execute(sql: "DELETE FROM integrity_account_sums")
            try db.execute(sql: "DELETE FROM integrity_open_holds")
        }
        for (accountID, sums) in changes.sums {
            // Only a run without problems gets here, so the sums equal the accounts' INTEGER counters.
            guard let debitsPending = Int64(exactly: sums.debitsPending), let debitsPosted = Int64(exactly: sums.debitsPosted),
                  let creditsPending = Int64(exactly: sums.creditsPending), let creditsPosted = Int64(exactly: sums.creditsPosted) else {
                preconditionFailure("verified sums of \(accountID) outside Int64")
            }
            try db.execute(sql: """
                INSERT INTO integrity_account_sums (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET debits_pending = excluded.debits_pending, debits_posted = excluded.debits_posted,
                    credits_pending = excluded.credits_pending, credits_posted = excluded.credits_posted
                """, arguments: [accountID, debitsPending, debitsPosted, creditsPending, creditsPosted])
        }
        for id in changes.holdsResolved {
            try db.execute(sql: "DELETE FROM integrity_open_holds WHERE transfer_id = ?", arguments: [id])
        }
        for (id, hold) in changes.holdsOpened {
            try db.execute(sql: """
                INSERT INTO integrity_open_holds (transfer_id, amount, debit_account_id, credit_account_id) VALUES (?, ?, ?, ?)
                """, arguments: [id, hold.amount, hold.debitAccountID, hold.creditAccountID])
        }
        try db.execute(sql: """
            INSERT INTO integrity_state (id, audit_seq, audit_hash, transfer_seq, verified_at) VALUES (1, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET audit_seq = excluded.audit_seq, audit_hash = excluded.audit_hash,
                transfer_seq = excluded.transfer_seq, verified_at = excluded.verified_at
            """, arguments: [to.auditHead.seq, to.auditHead.hash, to.transferSeq, Timestamp.text(now)])
        return true
    }
}
