import FacePayCore
import FacePayWire
import Foundation
import FuzzSupport

// The auditor's query values (cursor, limit, identifiers, RFC 3339 times) on arbitrary strings:
// a value or a 400 naming the parameter, never a trap; and what is accepted is within its bounds,
// so the store can use it as it is (a time becomes integer milliseconds and an id's time prefix).

/// Every parameter of one query, checked against its properties, with the default limits and
/// with a misconfigured maximum page size (which must not turn every `limit` into a trap).
func checkQuery(_ query: [String: String]) {
    var misconfigured = Limits()
    misconfigured.pageSizeMax = 0
    for limits in [Limits(), misconfigured] {
        let values = QueryValues(limits: limits)
        if let cursor = try? values.cursor(query) {
            check(cursor >= 0, "cursor \(cursor) accepted")
        }
        if let limit = try? values.limit(query, defaultLimit: nil), query["limit"].map({ !$0.isEmpty }) == true {
            check(limit >= 1 && limit <= limits.pageSizeMax, "limit \(limit) accepted with a maximum of \(limits.pageSizeMax)")
        }
        for name in ["since", "until"] {
            guard let date = try? values.date(query, name) else { continue }
            // The store turns a time into Int64 milliseconds (Timestamp.milliseconds, which traps
            // on what does not fit) and keeps 50 bits of them in ledger ids (which wrap).
            check(Date.rfc3339Range.contains(date), "\(name) accepted a time outside years 0000-9999: \(date.timeIntervalSince1970)")
        }
        for name in ["account_id", "action"] {
            if let identifier = try? values.identifier(query, name) {
                check(!identifier.isEmpty && identifier.utf8.count <= QueryValues.identifierBytesMax, "\(name) of \(identifier.utf8.count) bytes accepted")
            }
        }
        // Refusals are 400s with the stable code (typed throws: nothing else can come out).
        // Untyped throws: Swift 6.3 does not infer a typed-throws closure from its body here.
        func expectBadRequest(_ body: () throws -> Void) {
            do {
                try body()
            } catch let error as FacePayError {
                check(error.kind == .badRequest && error.code == "invalid_request", "refused with \(error)")
            } catch {
                check(false, "refused with an error that is not a FacePayError: \(error)")
            }
        }
        expectBadRequest { _ = try values.cursor(query) }
        expectBadRequest { _ = try values.limit(query, defaultLimit: nil) }
        expectBadRequest { _ = try values.date(query, "since") }
        expectBadRequest { _ = try values.identifier(query, "action") }
    }
}

fuzz { bytes in
    let input = String(decoding: bytes, as: UTF8.self)
    // The whole input as the value of every parameter…
    let names = ["cursor", "limit", "since", "until", "account_id", "action"]
    checkQuery(Dictionary(uniqueKeysWithValues: names.map { ($0, input) }))
    // …and as a query string, `name=value&…` (the first value wins, as in AuditorQueries).
    var query: [String: String] = [:]
    for pair in input.split(separator: "&", omittingEmptySubsequences: true) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        if query[name] == nil { query[name] = parts.count > 1 ? String(parts[1]) : "" }
    }
    if !query.isEmpty { checkQuery(query) }
}
