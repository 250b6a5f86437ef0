import FacePayCore
import Foundation
import Logging
import PostgresNIO
import Stores
import Synchronization

/// Group commit on PostgreSQL: the chain writes a node submits while one batch is in flight are
/// run together in the next transaction, one after another on its connection — one chain-head
/// acquisition, one head update and one COMMIT (one WAL flush) for all of them, as the SQLite
/// writer does (`GroupCommitWriter`). The head is the first lock of every batch
/// (`PostgresChainTransaction`), so one batch runs at a time across the whole cluster and batches
/// grow with load.
///
/// - The batch's payments run together, as a set (`PostgresPaymentBatch`, in two flights of
///   statements: `commitWithSet`). If the set fails, the transaction is rolled back and the batch
///   runs again with every payment alone.
/// - Every other unit runs inside its own SAVEPOINT: one that throws is rolled back alone (its
///   events taken off the head too) and its caller gets the error; the rest of the batch commits.
/// - A unit the server aborted to break a deadlock or a serialization failure runs again in a
///   later batch, at most `PostgresDatabase.retriesMax` times.
/// - Each caller is answered after the COMMIT of its batch returned, so an answer means the write
///   is durable; if the commit fails, every caller of the batch gets the error.
/// - Bounded: at most `batchSizeMax` units per transaction (each savepoint that writes is a
///   subtransaction; PostgreSQL keeps 64 per backend in shared memory before other sessions'
///   snapshots slow down, so keep it at or under 64), at most `queueDepthMax` waiting (beyond that
///   503 `overloaded` at once).
///
/// - After a batch of several units, if fewer wait than it held, the next batch waits up to
///   `gather` for its callers' next writes (group commit's usual gathering, as PostgreSQL's own
///   `commit_delay`).
///
/// No service to run: the first submission that finds no batch in flight starts a task that
/// commits batches until the queue is empty.
final class PostgresCommitBatcher: Sendable {
    static let batchSizeLimit = 64

    /// A unit with its result type erased: `execute` runs it and returns how to answer its caller
    /// once the batch committed, or the error it threw.
    private struct Job: Sendable {
        let execute: @Sendable (PostgresChainTransaction) async -> Result<@Sendable () -> Void, any Error>
        let fail: @Sendable (any Error) -> Void
        var attempts = 0
        /// A payment the batch may run with the others in the set-oriented path, and how to
        /// answer it from there; `execute` runs it alone.
        var payment: (unit: PostgresPaymentBatch.Unit, answer: @Sendable (IdempotentResponse) -> Void)?
    }

    private struct State {
        var queue: [Job] = []
        var draining = false
    }

    let database: PostgresDatabase
    let batchSizeMax: Int
    let queueDepthMax: Int
    /// How long, at most, a batch of several waits for its callers' next writes before the next
    /// batch is taken (`Limits.postgresGatherMicroseconds`).
    let gather: Duration
    private let state = Mutex(State())
    private let logger: Logger
    /// Told the size of every committed batch.
    let batchObserver = CommitBatchObserver()

    /// Units waiting for a batch (not counting the one in flight).
    var queuedCount: Int { state.withLock { $0.queue.count } }

    init(database: PostgresDatabase, batchSizeMax: Int, queueDepthMax: Int, gather: Duration = .zero,
         logger: Logger = Logger(label: "facepay.postgres.batcher")) {
        precondition((1...Self.batchSizeLimit).contains(batchSizeMax) && queueDepthMax >= 1 && gather >= .zero, "batch bounds out of range")
        self.database = database
        self.gather = gather
        self.batchSizeMax = batchSizeMax
        self.queueDepthMax = queueDepthMax
        self.logger = logger
    }

    /// Runs `work` in the next batch and returns its result once that batch committed. Throws
    /// what `work` threw (its writes rolled back, the batch unaffected), the commit's error, or
    /// 503 `overloaded` without running it. Cancelling the caller does not withdraw the unit: it
    /// may still commit (retry with the same Idempotency-Key to learn its outcome).
    func submit<T: Sendable>(_ work: @escaping @Sendable (PostgresChainTransaction) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Self.job(work, continuation)
            if let refusal = enqueue([job], front: false) { continuation.resume(throwing: refusal) }
        }
    }

    /// A payment for the set-oriented path of its batch (`PostgresPaymentBatch`); `individually`
    /// is the same payment as a unit of its own, run when the set path hands it back.
    func submit(payment: PostgresPaymentBatch.Unit,
                individually work: @escaping @Sendable (PostgresChainTransaction) async throws -> IdempotentResponse) async throws -> IdempotentResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<IdempotentResponse, any Error>) in
            var job = Self.job(work, continuation)
            job.payment = (payment, { continuation.resume(returning: $0) })
            if let refusal = enqueue([job], front: false) { continuation.resume(throwing: refusal) }
        }
    }

    private static func job<T: Sendable>(_ work: @escaping @Sendable (PostgresChainTransaction) async throws -> T,
                                         _ continuation: CheckedContinuation<T, any Error>) -> Job {
        Job(
            execute: { transaction in
                do {
                    let value = try await work(transaction)
                    return .success({ continuation.resume(returning: value) })
                } catch {
                    return .failure(error)
                }
            },
            fail: { error in continuation.resume(throwing: error) })
    }

    /// Queues `jobs` (at the front: units to run again go first) and starts the drain task if none
    /// runs; returns the refusal instead when the queue is full.
    private func enqueue(_ jobs: [Job], front: Bool) -> FacePayError? {
        let (refusal, start) = state.withLock { state -> (FacePayError?, Bool) in
            if !front && state.queue.count >= queueDepthMax {
                return (FacePayError(.unavailable, code: "overloaded", detail: "\(queueDepthMax) ledger writes are already waiting; retry later"), false)
            }
            state.queue.insert(contentsOf: jobs, at: front ? 0 : state.queue.count)
            defer { state.draining = true }
            return (nil, !state.draining)
        }
        if start { Task { await self.drain() } }
        return refusal
    }

    private func drain() async {
        var last = 0
        while true {
            // The callers of a batch of several were just answered; under load they write again
            // at once. Taking the next batch now would take only those queued meanwhile, and the
            // callers would settle into two halves alternating, each batch half as full.
            if last > 1, queuedCount < last { try? await Task.sleep(for: gather) }
            let batch = state.withLock { state -> [Job] in
                // The units' savepoints stay within PostgreSQL's cache of 64 subtransactions (the
                // payments' set has none).
                let batch = Array(state.queue.prefix(min(batchSizeMax, Self.batchSizeLimit)))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            last = batch.count
            await commit(batch)
        }
    }

    private enum Outcome {
        case answered(@Sendable () -> Void)
        case failed(Job, any Error)
        case again(Job)
    }

    /// One transaction for `batch`. With payments in it, the set path first (`commitWithSet`); if
    /// that fails before its COMMIT, or without payments, the head, each unit in its savepoint,
    /// the head row, COMMIT.
    private func commit(_ batch: [Job]) async {
        do {
            if batch.contains(where: { $0.payment != nil }), let outcomes = try await commitWithSet(batch) {
                return finish(batch, outcomes)
            }
            let outcomes = try await database.transaction { connection -> [Outcome] in
                let transaction = try await PostgresChainTransaction.begin(on: connection)
                let outcomes = try await runAlone(batch, transaction)
                try await transaction.storeHead()
                return outcomes
            }
            finish(batch, outcomes)
        } catch {
            logger.error("batch failed", metadata: ["units": "\(batch.count)", "error": "\(error)"])
            for job in batch { job.fail(error) }
        }
    }

    /// The batch's payments together in a few statements (`PostgresPaymentBatch`), sent in two
    /// flights (`PostgresPipeline`): BEGIN, the head's lock and the set's reads; then the set's
    /// writes and — when nothing is left to run alone, the usual case — the COMMIT. Whatever the
    /// set hands back, and the batch's other units, run after its writes, each in its savepoint.
    ///
    /// Returns nil, with nothing written, when the set's statements failed before the COMMIT (the
    /// caller then runs every unit alone in a new transaction); throws when the transaction failed
    /// after that (its callers get the error).
    private func commitWithSet(_ batch: [Job]) async throws -> [Outcome]? {
        let paying = batch.filter { $0.payment != nil }
        let units = paying.map { $0.payment!.unit }
        return try await database.client.withConnection { connection -> [Outcome]? in
            let answers = try await PostgresPipeline.run(connection, ["BEGIN", PostgresChainTransaction.lockHead] + PostgresPaymentBatch.reads(units))
            // Without a transaction the reads ran on their own and locked nothing that outlives them.
            guard case .success = answers[0] else { return nil }
            let transaction: PostgresChainTransaction
            let plan: PostgresPaymentBatch.Plan
            var outcomes: [Outcome] = []
            var alone = batch.filter { $0.payment == nil }
            do {
                transaction = try PostgresChainTransaction(connection: connection, lockedHead: try answers[1].get().rows)
                var read = try PostgresPaymentBatch.Read(try answers.dropFirst(2).map { try $0.get() })
                let spent = read.spentReads(units)
                if !spent.isEmpty { try read.addSpent(try await PostgresPipeline.run(connection, spent).map { try $0.get() }, units) }
                plan = try PostgresPaymentBatch.plan(units, read, transaction)
                for (job, result) in zip(paying, plan.results) {
                    switch result {
                    case .answered(let response):
                        let answer = job.payment!.answer
                        outcomes.append(.answered({ answer(response) }))
                    case .failed(let error): outcomes.append(.failed(job, error))
                    case .alone: alone.append(job)
                    }
                }
                if alone.isEmpty {
                    let written = try await PostgresPipeline.run(connection, plan.writes + ["COMMIT"])
                    if try PostgresPipeline.committed(written.last!) { return outcomes }
                    // A write failed and the COMMIT rolled the transaction back.
                    for case .failure(let error) in written { throw error }
                    throw PostgresRows.corrupt("the set's COMMIT rolled back without a failed statement")
                }
                for answer in try await PostgresPipeline.run(connection, plan.writes) { _ = try answer.get() }
            } catch {
                // The server's message and SQLSTATE, not the statement and its parameters.
                logger.warning("set-oriented payments failed; running them one by one",
                               metadata: ["error": "\(PostgresDatabase.translated(error))"])
                do {
                    try await PostgresRows.execute(connection, "ROLLBACK")
                } catch {
                    // A connection that cannot end its transaction goes back to the pool closed.
                    try? await connection.close()
                }
                return nil
            }
            transaction.advance(to: plan.head, stored: true)
            do {
                outcomes += try await runAlone(alone, transaction)
                try await transaction.storeHead()
                try await PostgresRows.execute(connection, "COMMIT")
                return outcomes
            } catch {
                _ = try? await PostgresRows.execute(connection, "ROLLBACK")
                throw error
            }
        }
    }

    /// Each of `jobs` in its savepoint of `transaction`, as a unit of its own.
    private func runAlone(_ jobs: [Job], _ transaction: PostgresChainTransaction) async throws -> [Outcome] {
        let connection = transaction.connection
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(jobs.count)
        for job in jobs {
            let mark = transaction.head
            try await PostgresRows.execute(connection, "SAVEPOINT unit")
            switch await job.execute(transaction) {
            case .success(let answer):
                outcomes.append(.answered(answer))
            case .failure(let error):
                // The unit's statements (and the events it put on the head) are undone; the
                // batch's connection is usable again.
                try await PostgresRows.execute(connection, "ROLLBACK TO SAVEPOINT unit")
                transaction.rollBack(to: mark)
                if PostgresDatabase.isRetryable(error) && job.attempts < database.retriesMax {
                    var again = job
                    again.attempts += 1
                    outcomes.append(.again(again))
                } else {
                    outcomes.append(.failed(job, error))
                }
            }
        }
        return outcomes
    }

    /// Answers the callers of a committed batch and queues again the units to retry.
    private func finish(_ batch: [Job], _ outcomes: [Outcome]) {
        batchObserver.committed(units: batch.count)
        var again: [Job] = []
        for outcome in outcomes {
            switch outcome {
            case .answered(let answer): answer()
            case .failed(let job, let error): job.fail(error)
            case .again(let job): again.append(job)
            }
        }
        if !again.isEmpty { _ = enqueue(again, front: true) }
    }
}
