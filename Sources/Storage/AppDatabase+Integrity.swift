import FacePayCore
import Foundation
import GRDB
import Stores

extension AppDatabase {
    /// Verifies the whole database in one read transaction (a consistent snapshot while writes
    /// continue). Reads only: backups and tests use it on files whose state they must not change.
    public func verifyIntegrity(problemsMax: Int = 1000) throws -> IntegrityReport {
        try pool.read { db in try IntegrityVerifier(problemsMax: problemsMax).verify(db) }
    }

    /// Verifies everything, and when nothing is wrong makes this snapshot the persisted state the
    /// next incremental run starts from (`facepay audit verify --full`): the operator's way to
    /// re-establish trust from the rows alone.
    public func verifyIntegrityFully(problemsMax: Int = 1000, now: Date = Date()) throws -> IntegrityRun {
        let run = try pool.read { db in try IntegrityVerifier(problemsMax: problemsMax).verifyFully(db) }
        try advance(run, now: now)
        return run
    }

    /// Verifies what was written after the persisted state, in one read transaction, then advances
    /// the state in a short write transaction if nothing was wrong (`GET /v1/audit/verify`, the
    /// console). No read transaction is held while waiting for the writer.
    public func verifyIntegrityIncrementally(problemsMax: Int = 1000, now: Date = Date()) async throws -> IntegrityRun {
        let run = try await pool.read { db in try IntegrityVerifier(problemsMax: problemsMax).verifyIncrementally(db) }
        if run.mayAdvance {
            try await pool.write { db in _ = try IntegrityStateStore.advance(db, from: run.start, to: run.end, changes: run.changes, now: now) }
        }
        return run
    }

    /// The same, for the command line (no concurrency runtime needed).
    public func verifyIntegrityIncrementallyNow(problemsMax: Int = 1000, now: Date = Date()) throws -> IntegrityRun {
        let run = try pool.read { db in try IntegrityVerifier(problemsMax: problemsMax).verifyIncrementally(db) }
        try advance(run, now: now)
        return run
    }

    /// The persisted state of the last successful run (genesis when none has run).
    public func integrityState() throws -> IntegrityState {
        try pool.read { db in try IntegrityStateStore.load(db) }
    }

    private func advance(_ run: IntegrityRun, now: Date) throws {
        guard run.mayAdvance else { return }
        try pool.write { db in _ = try IntegrityStateStore.advance(db, from: run.start, to: run.end, changes: run.changes, now: now) }
    }
}
