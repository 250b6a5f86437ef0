import FacePayCore
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Stores
import Synchronization

/// Batches concurrent write submissions into one SQLite transaction, so that many payments share
/// one commit, hence one fsync of the WAL (`synchronous=FULL`).
///
/// - Each submission runs inside its own SAVEPOINT: one that throws is rolled back alone and its
///   caller gets the error; the others in the batch still commit.
/// - Each caller is answered only after the COMMIT of its batch returned, so an answer means the
///   write is durable. If the commit fails, every caller of the batch gets the error.
/// - Bounded: at most `batchSizeMax` submissions per transaction, at most `queueDepthMax`
///   waiting (beyond that `submit` throws 503 `overloaded` at once), and a batch waits at most
///   `batchLingerMax` for company (default zero: while one batch commits, the next gathers by
///   itself, which is what makes batches grow with load).
/// - A `Service`: on graceful shutdown (or cancellation) it stops taking submissions
///   (503 `shutting_down`), commits what is queued, then returns.
///
/// Work closures are synchronous: no `await` inside a database write. They run on GRDB's writer
/// queue, not on the cooperative thread pool.
public final class GroupCommitWriter: Service, Sendable {
    public struct Statistics: Sendable, Equatable {
        public var batchesCommitted = 0
        public var submissionsCommitted = 0
        public var submissionsFailed = 0
        public var largestBatch = 0
        /// Time spent inside batch transactions (statements and COMMIT, fsync included).
        public var transactionDuration = Duration.zero
        /// The part of `transactionDuration` spent in COMMIT (WAL write and fsync).
        public var commitDuration = Duration.zero
    }

    private enum Phase: Equatable { case accepting, draining, stopped }

    /// A submission with its result type erased. `execute` runs it in the batch transaction and
    /// returns what to tell the caller once the batch committed; `fail` answers it with an error.
    private struct Job: Sendable {
        let execute: @Sendable (Database) -> (succeeded: Bool, answer: @Sendable () -> Void)
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var queueStart = 0
        var waiter: CheckedContinuation<Void, Never>?
        var phase = Phase.accepting
        var isRunning = false
        var statistics = Statistics()

        var queuedCount: Int { queue.count - queueStart }

        mutating func take(_ countMax: Int) -> [Job] {
            let end = min(queue.count, queueStart + countMax)
            let batch = Array(queue[queueStart..<end])
            queueStart = end
            // Compact now and then instead of removing from the front on every batch.
            if queueStart == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueStart = 0
            } else if queueStart > 4096 {
                queue.removeFirst(queueStart)
                queueStart = 0
            }
            return batch
        }
    }

    public let batchSizeMax: Int
    public let queueDepthMax: Int
    public let batchLingerMax: Duration
    private let pool: DatabasePool
    private let logger: Logger
    private let state = Mutex(State())

    public init(database: AppDatabase, batchSizeMax: Int = Limits().commitBatchMax,
                queueDepthMax: Int = Limits().commitQueueMax, batchLingerMax: Duration = .zero,
                logger: Logger = Logger(label: "facepay.group-commit")) {
        precondition(batchSizeMax >= 1 && queueDepthMax >= 1 && batchLingerMax >= .zero, "bounds must be positive")
        self.pool = database.pool
        self.batchSizeMax = batchSizeMax
        self.queueDepthMax = queueDepthMax
        self.batchLingerMax = batchLingerMax
        self.logger = logger
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Told the size of every committed batch.
    public let batchObserver = CommitBatchObserver()

    /// Submissions waiting for a batch (not counting one being committed).
    public var queuedCount: Int { state.withLock { $0.queuedCount } }

    /// Runs `work` in the next batch transaction and returns its result once that transaction
    /// committed. Throws what `work` threw (its writes rolled back, the batch unaffected), the
    /// commit's error, or 503 `overloaded` / `shutting_down` without running it.
    ///
    /// Cancelling the caller does not withdraw a queued submission: it may still commit. Retry
    /// with the same idempotency key to learn its outcome.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                execute: { db in
                    do {
                        let value = try work(db)
                        return (true, { continuation.resume(returning: value) })
                    } catch {
                        return (false, { continuation.resume(throwing: error) })
                    }
                },
                fail: { error in continuation.resume(throwing: error) })
            if let refusal = enqueue(job) { continuation.resume(throwing: refusal) }
        }
    }

    /// Runs `work` in the next batch and returns its result as soon as it has run, before the
    /// batch commits: the caller does not wait for the fsync. Only for writes whose loss in a
    /// crash (or a failed commit) is harmless — an issued challenge that then does not exist is
    /// refused when used, and the terminal asks for another.
    ///
    /// Order still holds: a submission made after this returns runs after it, in the same
    /// transaction or a later one, so once that later submission is answered, this write is
    /// durable too.
    public func submitAnsweredBeforeCommit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            // A failed batch fails every job in it, including this one after it has answered:
            // the flag lets only the first of the two resume the caller.
            let answered = AnswerClaim()
            let job = Job(
                execute: { db in
                    let result = Result { try work(db) }
                    if answered.claim() { continuation.resume(with: result) }
                    if case .failure = result { return (false, {}) }
                    return (true, {})
                },
                fail: { error in
                    if answered.claim() { continuation.resume(throwing: error) }
                })
            if let refusal = enqueue(job) { continuation.resume(throwing: refusal) }
        }
    }

    /// Queues `work` and returns at once, without its outcome: for writes that must precede, in
    /// order, a submission the same caller makes next and waits for (the replay guard's
    /// sightings before the payment that follows them). If `work` throws or its batch fails, the
    /// error is logged. Throws 503 `overloaded` / `shutting_down` when it cannot be queued.
    public func enqueueWithoutAnswer(_ label: String, _ work: @escaping @Sendable (Database) throws -> Void) throws {
        let logger = logger
        let job = Job(
            execute: { db in
                do {
                    try work(db)
                    return (true, {})
                } catch {
                    logger.error("queued write failed", metadata: ["write": .string(label), "error": "\(error)"])
                    return (false, {})
                }
            },
            fail: { error in logger.error("queued write lost with its batch", metadata: ["write": .string(label), "error": "\(error)"]) })
        if let refusal = enqueue(job) { throw refusal }
    }

    /// Appends `job` to the queue and wakes the writer; returns the refusal instead when the
    /// writer is stopping or the queue is full.
    private func enqueue(_ job: Job) -> FacePayError? {
        let (refusal, waiter) = state.withLock { state -> (FacePayError?, CheckedContinuation<Void, Never>?) in
            guard state.phase == .accepting else {
                return (FacePayError(.unavailable, code: "shutting_down", detail: "the ledger writer is stopping"), nil)
            }
            guard state.queuedCount < queueDepthMax else {
                return (FacePayError(.unavailable, code: "overloaded",
                                     detail: "\(queueDepthMax) ledger writes are already waiting; retry later"), nil)
            }
            state.queue.append(job)
            defer { state.waiter = nil }
            return (nil, state.waiter)
        }
        waiter?.resume()
        return refusal
    }

    /// Stops taking submissions; `run()` returns once the queue is committed. Called by the
    /// service group on graceful shutdown; callable directly where there is no group.
    public func beginShutdown() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.phase == .accepting { state.phase = .draining }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    public func run() async throws {
        state.withLock { state in
            precondition(!state.isRunning && state.phase != .stopped, "a GroupCommitWriter runs once")
            state.isRunning = true
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            while let batch = await nextBatch() {
                await commit(batch)
            }
        } onCancelOrGracefulShutdown: {
            self.beginShutdown()
        }
        state.withLock { $0.phase = .stopped }
        logger.debug("group-commit writer stopped", metadata: ["batches": "\(statistics.batchesCommitted)"])
    }

    /// The next batch, waiting for submissions; nil once draining and empty.
    private func nextBatch() async -> [Job]? {
        var lingered = false
        while true {
            let (batch, finished, shouldLinger) = state.withLock { state -> ([Job], Bool, Bool) in
                let queued = state.queuedCount
                if queued > 0 {
                    if !lingered && batchLingerMax > .zero && queued < batchSizeMax && state.phase == .accepting {
                        return ([], false, true)
                    }
                    return (state.take(batchSizeMax), false, false)
                }
                return ([], state.phase != .accepting, false)
            }
            if !batch.isEmpty { return batch }
            if finished { return nil }
            if shouldLinger {
                lingered = true
                try? await Task.sleep(for: batchLingerMax)
                continue
            }
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.queuedCount > 0 || state.phase != .accepting { return true }
                    state.waiter = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        }
    }

    private func commit(_ batch: [Job]) async {
        do {
            let (answers, duration, commitDuration) = try await pool.writeWithoutTransaction { db in
                let clock = ContinuousClock()
                let started = clock.now
                let (answers, commitStarted) = try Self.runBatch(batch, db, clock: clock)
                let finished = clock.now
                return (answers, finished - started, finished - commitStarted)
            }
            state.withLock { state in
                state.statistics.transactionDuration += duration
                state.statistics.commitDuration += commitDuration
                state.statistics.batchesCommitted += 1
                state.statistics.submissionsCommitted += batch.count
                state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            }
            batchObserver.committed(units: batch.count)
            for answer in answers { answer() }
        } catch {
            logger.error("group commit failed", metadata: ["error": "\(error)", "submissions": "\(batch.count)"])
            state.withLock { $0.statistics.submissionsFailed += batch.count }
            for job in batch { job.fail(error) }
        }
    }

    /// One transaction: a savepoint per job, one COMMIT. Throws (rolling everything back) only
    /// when the transaction itself is lost or the commit fails.
    private static func runBatch(_ batch: [Job], _ db: Database,
                                 clock: ContinuousClock) throws -> (answers: [@Sendable () -> Void], commitStarted: ContinuousClock.Instant) {
        try db.execute(sql: "BEGIN IMMEDIATE")
        do {
            let savepoint = try RawStatement(db, "SAVEPOINT submission")
            let release = try RawStatement(db, "RELEASE submission")
            let rollback = try RawStatement(db, "ROLLBACK TO submission")
            var answers: [@Sendable () -> Void] = []
            answers.reserveCapacity(batch.count)
            for job in batch {
                try savepoint.execute()
                let (succeeded, answer) = job.execute(db)
                if !succeeded {
                    // Some SQLite errors (disk full, I/O) roll back the whole transaction; the
                    // jobs before this one are lost with it, so the batch fails as a whole.
                    guard db.isInsideTransaction else {
                        throw FacePayError(.unavailable, code: "database_unavailable",
                                           detail: "a ledger write aborted its transaction; the batch was rolled back")
                    }
                    try rollback.execute()
                }
                try release.execute()
                answers.append(answer)
            }
            let commitStarted = clock.now
            try db.execute(sql: "COMMIT")
            return (answers, commitStarted)
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            throw error
        }
    }
}

/// Shared by the two closures of one job answered before commit: the first to claim it answers.
private final class AnswerClaim: Sendable {
    private let taken = Atomic<Bool>(false)

    /// True for the first caller only.
    func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}
