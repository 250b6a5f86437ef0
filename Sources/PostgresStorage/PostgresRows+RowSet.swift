import FacePayCore
import Foundation
import PostgresNIO
import Stores

/// Many rows written in one statement: the set path's inserts and updates (PostgresPaymentBatch)
/// and the chain's events (PostgresChainTransaction).
extension PostgresRows {
    /// Rows to write in one statement: each value a String, Int64, Int, Bool or nil, in the order
    /// of `columns`. They travel as one JSON array parameter, unpacked by `jsonb_to_recordset`;
    /// table and column names are the caller's constants, every value is the parameter's content.
    struct RowSet {
        let table: String
        let columns: [(name: String, type: String)]
        let rows: [[Any?]]
        /// A column's value when it is not the plain one (e.g. `decode(r.response_body, 'base64')`).
        var expressions: [String: String] = [:]

        /// `INSERT INTO table … SELECT … FROM jsonb_to_recordset(placeholder)`.
        func insertSQL(_ placeholder: String) -> String {
            let names = columns.map(\.name).joined(separator: ", ")
            let values = columns.map { expressions[$0.name] ?? "r.\($0.name)" }.joined(separator: ", ")
            return "INSERT INTO \(table) (\(names)) SELECT \(values) FROM jsonb_to_recordset(\(placeholder)::jsonb) AS r(\(definitions))"
        }

        var definitions: String { columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ") }

        /// The JSON array of objects `jsonb_to_recordset` reads. Written directly rather than through
        /// JSONSerialization, which bridged every value and took about half of a batch's time in
        /// Swift (SCALING.md, "set-oriented batches"); strings are escaped by the audit chain's rule.
        func json() throws -> String {
            var output = "["
            output.reserveCapacity(rows.count * columns.count * 24)
            for (index, row) in rows.enumerated() {
                output += index == 0 ? "{" : ",{"
                for (position, (column, value)) in zip(columns, row).enumerated() {
                    if position > 0 { output += "," }
                    CanonicalJSON.writeString(column.name, to: &output)
                    output += ":"
                    switch value {
                    case nil: output += "null"
                    case let text as String: CanonicalJSON.writeString(text, to: &output)
                    case let number as Int64: output += String(number)
                    case let number as Int: output += String(number)
                    case let number as Int32: output += String(number)
                    case let flag as Bool: output += flag ? "true" : "false"
                    default: throw PostgresRows.corrupt("\(table).\(column.name): a \(type(of: value!)) has no JSON form here")
                    }
                }
                output += "}"
            }
            return output + "]"
        }
    }

    /// Runs `statements` (each given its row set's JSON as `$n`) as one statement: data-modifying
    /// CTEs, each run once and to completion, their foreign keys checked at the statement's end.
    static func write(_ statements: [(sql: (String) -> String, rows: RowSet)], _ connection: PostgresConnection) async throws {
        guard let query = try writeQuery(statements) else { return }
        try await execute(connection, query)
    }

    /// The statement `write` runs; nil when every row set is empty.
    static func writeQuery(_ statements: [(sql: (String) -> String, rows: RowSet)]) throws -> PostgresQuery? {
        let present = statements.filter { !$0.rows.rows.isEmpty }
        guard !present.isEmpty else { return nil }
        var bindings = PostgresBindings(capacity: present.count)
        var parts: [String] = []
        for (index, statement) in present.enumerated() {
            bindings.append(try statement.rows.json())
            parts.append("w\(index) AS (\(statement.sql("$\(index + 1)")))")
        }
        return PostgresQuery(unsafeSQL: "WITH \(parts.joined(separator: ",\n")) SELECT 1", binds: bindings)
    }
}
