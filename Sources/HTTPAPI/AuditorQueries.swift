import FacePayCore
import FacePayWire
import Foundation
import Hummingbird

import Stores

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
                               afterSeq: try cursor(query), limit: try limit(query, defaultLimit: nil), until: try date(query, "until"),
                               actor: try identifier(query, "actor"), customerID: try identifier(query, "customer_id"))
    }

    /// The query string as a dictionary (the first value wins when a name repeats).
    static func parameters(_ request: Request) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in request.uri.queryParameters where result[String(name)] == nil {
            result[String(name)] = String(value)
        }
        return result
    }

    // The values themselves are parsed by `QueryValues` (FacePayWire), pure and fuzzed.
    private var values: QueryValues { QueryValues(limits: limits) }

    func identifier(_ query: [String: String], _ name: String) throws -> String? {
        try values.identifier(query, name)
    }

    func date(_ query: [String: String], _ name: String) throws -> Date? {
        try values.date(query, name)
    }

    func cursor(_ query: [String: String]) throws -> Int64? {
        try values.cursor(query)
    }

    func count(_ query: [String: String], _ name: String) throws -> Int64? {
        try values.count(query, name)
    }

    func limit(_ query: [String: String], defaultLimit: Int?) throws -> Int {
        try values.limit(query, defaultLimit: defaultLimit)
    }
}
