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
/// - Each unit runs inside its own SAVEPOINT: one that throws is rolled back alone (its events
///   taken off the head too) and its caller gets the error; the rest of the batch commits.
/// - A unit the server aborted to break a deadlock or a serialization failure runs again in a
///   later batch, at most `PostgresDatabase.retriesMax` times.
/// - Each caller is answered after the COMMIT of its batch returned, so an answer means the write
///   is durable; if the commit fails, every caller of the batch gets the error.
/// - Bounded: at most `batchSizeMax` units per transaction (each savepoint that writes is a
///   subtransaction; PostgreSQL keeps 64 per backend in shared memory before other sessions'
///   snapshots slow down, so keep it at or under 64), at most `queueDepthMax` waiting (beyond that
///   503 `overloaded` at once).
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
    private let state = Mutex(State())
    private let logger: Logger
    /// Told the size of every committed batch.
    let batchObserver = CommitBatchObserver()

    /// Units waiting for a batch (not counting the one in flight).
    var queuedCount: Int { state.withLock { $0.queue.count } }

    init(database: PostgresDatabase, batchSizeMax: Int, queueDepthMax: Int, logger: Logger = Logger(label: "facepay.postgres.batcher")) {
        precondition((1...Self.batchSizeLimit).contains(batchSizeMax) && queueDepthMax >= 1, "batch bounds out of range")
        self.database = database
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
        while true {
            let batch = state.withLock { state -> [Job] in
                // One savepoint level is the payments' set (PostgresPaymentBatch): the units'
                // savepoints and it stay within PostgreSQL's cache of 64 subtransactions.
                let batch = Array(state.queue.prefix(min(batchSizeMax, Self.batchSizeLimit - 1)))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private enum Outcome {
        case answered(@Sendable () -> Void)
        case failed(Job, any Error)
        case again(Job)
    }

    /// One transaction for `batch`: the head, each unit in its savepoint, the head row, COMMIT.
    private func commit(_ batch: [Job]) async {
        let retriesMax = database.retriesMax
        do {
            let outcomes = try await database.transaction { connection -> [Outcome] in
                let transaction = try await PostgresChainTransaction.begin(on: connection)
                var outcomes: [Outcome] = []
                outcomes.reserveCapacity(batch.count)
                var alone = batch.filter { $0.payment == nil }
                let paying = batch.filter { $0.payment != nil }
                if !paying.isEmpty {
                    // The payments together, in a few statements; if that fails, each alone.
                    let mark = transaction.head
                    try await PostgresRows.execute(connection, "SAVEPOINT payments")
                    do {
                        let results = try await PostgresPaymentBatch.run(paying.map { $0.payment!.unit }, transaction)
                        for (job, result) in zip(paying, results) {
                            switch result {
                            case .answered(let response):
                                let answer = job.payment!.answer
                                outcomes.append(.answered({ answer(response) }))
                            case .failed(let error):
                                outcomes.append(.failed(job, error))
                            case .alone:
                                alone.append(job)
                            }
                        }
                    } catch {
                        try await PostgresRows.execute(connection, "ROLLBACK TO SAVEPOINT payments")
                        transaction.rollBack(to: mark)
                        logger.warning("set-oriented payments failed; running them one by one", metadata: ["error": "\(error)"])
                        alone += paying
                    }
                }
                for job in alone {
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
                        if PostgresDatabase.isRetryable(error) && job.attempts < retriesMax {
                            var again = job
                            again.attempts += 1
                            outcomes.append(.again(again))
                        } else {
                            outcomes.append(.failed(job, error))
                        }
                    }
                }
                try await transaction.storeHead()
                return outcomes
            }
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
        } catch {
            logger.error("batch failed", metadata: ["units": "\(batch.count)", "error": "\(error)"])
            for job in batch { job.fail(error) }
        }
    }
}
