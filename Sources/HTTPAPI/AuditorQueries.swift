import FacePayCore
import Foundation
import Hummingbird

import Storage

/// Parsing of the auditor's query strings, every value checked and bounded (400 naming the
/// parameter otherwise).
struct AuditorQueries {
    let limits: Limits

    func transferQuery(_ request: Request, defaultLimit: Int? = nil) throws -> TransferQuery {
        let query = Self.parameters(request)
        return TransferQuery(
            accountID: try identifier(query, "account_id"), merchantID: try identifier(query, "merchant_id"),
            deviceID: try identifier(query, "device_id"), paymentID: try identifier(query, "payment_id"),
            since: try date(query, "since"), until: try date(query, "until"),
            afterSeq: try cursor(query), limit: try limit(query, defaultLimit: defaultLimit))
    }

    func auditEventQuery(_ request: Request) throws -> AuditEventQuery {
        let query = Self.parameters(request)
        return AuditEventQuery(since: try date(query, "since"), action: try identifier(query, "action"),
                               afterSeq: try cursor(query), limit: try limit(query, defaultLimit: nil))
    }

    /// The query string as a dictionary (the first value wins when a name repeats).
    static func parameters(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where result[String(name)] == nil {
            result[String(name)] = String(value)
        }
        return result
    }

    func identifier(_ query: [String: String], _ name: String) throws -> String? {
        guard let value = query[name], !value.isEmpty else { return nil }
        guard value.utf8.count <= 128 else { throw FacePayError.invalidField(name, "is too long") }
        return value
    }

    func date(_ query: [String: String], _ name: String) throws -> Date? {
        guard let text = query[name], !text.isEmpty else { return nil }
        guard let date = Date.parseRFC3339(text) else { throw FacePayError.invalidField(name, "must be an RFC 3339 time") }
        return date
    }

    func cursor(_ query: [String: String]) throws -> Int64? {
        guard let text = query["cursor"], !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else { throw FacePayError.invalidField("cursor", "is not a cursor this server issued") }
        return value
    }

    func limit(_ query: [String: String], defaultLimit: Int?) throws -> Int {
        guard let text = query["limit"], !text.isEmpty else { return defaultLimit ?? limits.pageSizeDefault }
        guard let value = Int(text), (1...limits.pageSizeMax).contains(value) else {
            throw FacePayError.invalidField("limit", "must be an integer from 1 to \(limits.pageSizeMax)")
        }
        return value
    }
}
