import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

/// Recomputes what the ledger promises from the rows themselves, as a sequence of small checks:
///
/// 1. `AuditChainCheck`: the hash chain — seq contiguous, `prev_hash` linked, `hash` recomputed;
/// 2. `TransferReplayCheck`: every transfer's rules, summed per account;
/// 3–5. `AccountCountersCheck`: counters against those sums, wallets not below zero, totals;
/// 6. `PaymentTotalsCheck`: payments' captured and refunded amounts against their transfers;
/// 7. `ImmutabilityTriggersCheck`: the triggers that keep transfers and audit events immutable.
///
/// Two modes. `verifyFully` runs every check over every row (`facepay audit verify --full`,
/// backups). `verifyIncrementally` starts from the persisted `IntegrityState` of the last
/// successful run and checks only the events and transfers after it, the accounts and payments
/// those transfers touch, and the triggers (`GET /v1/audit/verify`, the console badge): its cost
/// follows what was written since, not the ledger's length.
///
/// Run either inside one read transaction (`AppDatabase` does) so it sees one consistent snapshot
/// while writes go on.
public struct IntegrityVerifier: Sendable {
    /// Bound on the problems reported; a badly damaged file would otherwise produce one per row.
    public let problemsMax: Int

    public init(problemsMax: Int = 1000) {
        precondition(problemsMax > 0, "problemsMax must be positive")
        self.problemsMax = problemsMax
    }

    /// Every check over every row.
    public func verify(_ db: Database) throws -> IntegrityReport {
        try verifyFully(db).report
    }

    func verifyFully(_ db: Database) throws -> IntegrityRun {
        let context = IntegrityCheckContext(db: db, problemsMax: problemsMax)
        let chain = try AuditChainCheck.run(context, after: IntegrityState.genesis.auditHead)
        let accounts = try AccountDirectory.all(context)
        var replay = TransferReplayCheck(baseline: .empty)
        try replay.run(context, accounts: accounts)
        try AccountCountersCheck.run(context, accounts: accounts, sums: replay.sums,
                                     accountIDs: Array(accounts.accounts.keys), wholeBook: true)
        try PaymentTotalsCheck.runAll(context)
        try ImmutabilityTriggersCheck.run(context)
        return IntegrityRun(mode: .full, context: context, chain: chain, replay: replay,
                            start: .genesis, replacesAll: true)
    }

    /// Only what came after the persisted state (the genesis state when none was stored yet).
    func verifyIncrementally(_ db: Database) throws -> IntegrityRun {
        let context = IntegrityCheckContext(db: db, problemsMax: problemsMax)
        let start = try IntegrityStateStore.load(context)
        let chain = try AuditChainCheck.run(context, after: start.auditHead)
        let accounts = AccountDirectory.onDemand()
        var replay = TransferReplayCheck(baseline: IntegrityStateStore.baseline(start))
        try replay.run(context, accounts: accounts)
        try AccountCountersCheck.run(context, accounts: accounts, sums: replay.sums,
                                     accountIDs: Array(replay.sums.keys), wholeBook: false)
        try PaymentTotalsCheck.run(context, paymentIDs: replay.paymentsTouched)
        try ImmutabilityTriggersCheck.run(context)
        return IntegrityRun(mode: .incremental, context: context, chain: chain, replay: replay,
                            start: start, replacesAll: false)
    }
}

/// The outcome of one verification: the report for the caller, and what the persisted state
/// becomes if the run found nothing wrong.
public struct IntegrityRun: Sendable {
    public let report: IntegrityReport
    /// Rows the checks read: the cost of the run, asserted by tests instead of a duration.
    public let rowsRead: Int
    /// The state the run started from and the one it reached.
    public let start: IntegrityState
    public let end: IntegrityState
    let changes: IntegrityStateChanges

    /// A failed check must not advance the state: the next run checks the same rows again and
    /// reports the same problems, so a red badge stays red.
    public var mayAdvance: Bool { report.ok }

    init(mode: IntegrityReport.Mode, context: IntegrityCheckContext, chain: (head: AuditHead, checked: Int),
         replay: TransferReplayCheck, start: IntegrityState, replacesAll: Bool) {
        end = IntegrityState(auditHead: chain.head, transferSeq: replay.lastSeq)
        self.start = start
        rowsRead = context.rowsRead
        changes = IntegrityStateChanges(sums: replay.sums, holdsOpened: replay.holdsOpened,
                                        holdsResolved: replay.baselineHoldsResolved, replacesAll: replacesAll)
        // The cut list must still fail the run when problems past the bound were found.
        precondition(context.problemsFound == 0 || !context.problems.isEmpty)
        report = IntegrityReport(eventsChecked: chain.checked, transfersChecked: replay.checked, problems: context.problems,
                                 mode: mode, head: chain.head)
    }
}
