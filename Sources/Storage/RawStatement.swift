import Foundation
import GRDB
import GRDBSQLite
import Stores

/// SQLite's "copy the bytes now" destructor, which the C macro SQLITE_TRANSIENT spells as -1.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One of GRDB's cached prepared statements, bound, stepped and read through SQLite's C API.
///
/// Why: this is the payment hot path. GRDB's `StatementArguments` and `Row` box every value in
/// an existential and allocate per row, which cost more than SQLite itself here (profiled: about
/// a quarter of a payment's CPU time). The statement still comes from, and stays owned by,
/// GRDB's per-connection cache, inside a transaction GRDB opened; only binding, stepping and
/// reading bypass it. Use it only inside a `write` / `read` closure, and finish each use with
/// `execute()` or `reset()` (the read helpers below do).
struct RawStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private var parameter: Int32 = 0

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection is closed") }
        self.connection = connection
        sqlite3_reset(handle)
    }

    // MARK: Binding, in parameter order

    mutating func bind(_ value: String) {
        parameter += 1
        var value = value
        value.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                _ = sqlite3_bind_text(handle, parameter, base, Int32(bytes.count), transientDestructor)
            } else {
                _ = sqlite3_bind_text(handle, parameter, "", 0, transientDestructor)
            }
        }
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Int64) {
        parameter += 1
        _ = sqlite3_bind_int64(handle, parameter, value)
    }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: Data) {
        parameter += 1
        value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                _ = sqlite3_bind_blob(handle, parameter, base, Int32(bytes.count), transientDestructor)
            } else {
                _ = sqlite3_bind_zeroblob(handle, parameter, 0)
            }
        }
    }

    mutating func bindNull() {
        parameter += 1
        _ = sqlite3_bind_null(handle, parameter)
    }

    // MARK: Running

    /// Runs a statement that returns no rows, then resets it.
    func execute() throws {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Advances to the next row; false when done. Throws SQLite's error (the statement must then
    /// be reset, which `execute` and `reset` do).
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let code = sqlite3_extended_errcode(connection)
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    func reset() {
        sqlite3_reset(handle)
    }

    // MARK: Reading the current row

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    func bool(_ column: Int32) -> Bool {
        int64(column) != 0
    }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalString(_ column: Int32) -> String? {
        isNull(column) ? nil : string(column)
    }

    func data(_ column: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: bytes, count: count)
    }
}
