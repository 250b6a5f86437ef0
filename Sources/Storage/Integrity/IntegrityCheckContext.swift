import GRDB
import Stores

/// What every integrity check shares during one verification: the snapshot it reads, the bounded
/// list of problems found, and how many rows it has read (the measure of a call's cost that tests
/// assert instead of a duration).
///
/// A class, not a struct: the checks hand it to the closures that read rows. It lives inside one
/// `pool.read` closure and never leaves it, so it needs no locking.
final class IntegrityCheckContext {
    let db: Database
    let problemsMax: Int
    private(set) var problems: [IntegrityProblem] = []
    /// Every problem found, including those past `problemsMax`: a run with any is a failed run.
    private(set) var problemsFound = 0
    private(set) var rowsRead = 0

    init(db: Database, problemsMax: Int) {
        precondition(problemsMax > 0, "problemsMax must be positive")
        self.db = db
        self.problemsMax = problemsMax
    }

    func report(_ table: String, _ row: String, _ check: String, expected: String, found: String) {
        problemsFound += 1
        if problems.count < problemsMax {
            problems.append(IntegrityProblem(table: table, row: row, check: check, expected: expected, found: found))
        }
    }

    /// Each row of `sql`, counted as read.
    func forEachRow(_ sql: String, _ arguments: StatementArguments = [], _ body: (Row) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            rowsRead += 1
            try body(row)
        }
    }

    /// The first row of `sql`, counted as read when there is one.
    func firstRow(_ sql: String, _ arguments: StatementArguments = []) throws -> Row? {
        guard let row = try Row.fetchOne(db, sql: sql, arguments: arguments) else { return nil }
        rowsRead += 1
        return row
    }
}

/// An account's four counters, as stored or as summed from its transfers. Int128 so that summing
/// a damaged ledger cannot overflow.
struct LedgerCounters: Equatable, Sendable {
    var debitsPending: Int128 = 0
    var debitsPosted: Int128 = 0
    var creditsPending: Int128 = 0
    var creditsPosted: Int128 = 0
}

/// A hold posted and not yet resolved: what a later capture, void or expiry must match.
struct OpenHold: Equatable, Sendable {
    let amount: Int64
    let debitAccountID: String
    let creditAccountID: String
}
