import FacePayCore
import Foundation

/// The values of an auditor query string (`?account_id=…&since=…&cursor=…&limit=…`), each checked
/// and bounded: a value outside its form is a 400 naming the parameter, never a crash. Pure (a
/// dictionary in, values out) so the `query` fuzz target of `Fuzz/` can drive it without a server;
/// `AuditorQueries` in HTTPAPI reads the request and calls this.
public struct QueryValues: Sendable {
    /// Longest identifier filter accepted; longer cannot be an id this server issued.
    public static let identifierBytesMax = 128

    public let limits: Limits

    public init(limits: Limits) {
        self.limits = limits
    }

    /// An identifier filter (`account_id`, `action`, …); nil when absent or empty.
    public func identifier(_ query: [String: String], _ name: String) throws(FacePayError) -> String? {
        guard let value = query[name], !value.isEmpty else { return nil }
        guard value.utf8.count <= Self.identifierBytesMax else { throw FacePayError.invalidField(name, "is too long") }
        return value
    }

    /// An RFC 3339 time (`since`, `until`); nil when absent or empty. `parseRFC3339` is strict and
    /// keeps to years 0000-9999 in UTC (Foundation's parser takes 5- and 6-digit years, which
    /// would have wrapped the 50 bits of milliseconds in ledger ids into a filter on another time).
    public func date(_ query: [String: String], _ name: String) throws(FacePayError) -> Date? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let date = Date.parseRFC3339(text) else {
            throw FacePayError.invalidField(name, "must be an RFC 3339 time")
        }
        return date
    }

    /// The paging cursor: the sequence number after which the next page starts.
    public func cursor(_ query: [String: String]) throws(FacePayError) -> Int64? {
        guard let text = query["cursor"], !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else { throw FacePayError.invalidField("cursor", "is not a cursor this server issued") }
        return value
    }

    /// A count or sequence number (`from`, `event` of the audit proof); nil when absent or empty.
    /// Digits only, at most 18 of them, so it is never negative and never overflows.
    public func count(_ query: [String: String], _ name: String) throws(FacePayError) -> Int64? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int64(text) else {
            throw FacePayError.invalidField(name, "must be a non-negative integer")
        }
        return value
    }

    /// The page size, from 1 to `limits.pageSizeMax` (`defaultLimit`, else `limits.pageSizeDefault`, when absent).
    public func limit(_ query: [String: String], defaultLimit: Int?) throws(FacePayError) -> Int {
        guard let text = query["limit"], !text.isEmpty else { return defaultLimit ?? limits.pageSizeDefault }
        // Two comparisons, not `(1...pageSizeMax).contains`: that range traps when a
        // misconfigured maximum is below 1.
        guard let value = Int(text), value >= 1, value <= limits.pageSizeMax else {
            throw FacePayError.invalidField("limit", "must be an integer from 1 to \(limits.pageSizeMax)")
        }
        return value
    }
}
