import AsyncHTTPClient
import FacePayCore
import Foundation
import Liveness
import NIOHTTP1
import Simulator
import Testing

/// Every numeric field of every body and every numeric query parameter, sent with values that
/// overflow, are out of range or are not numbers at all, over mutual TLS to a live server in
/// this process: each gets a 4xx problem+json naming the problem, and the server goes on
/// serving (a trap here would stop the whole test process, not just fail an expectation).
@Suite("Hostile input: overflowing and out-of-range numbers get 400, the server keeps serving")
struct HostileInputTests {
    /// For integer fields: 19 and 20 digits (the trap of StrictJSONReader.readInt64), Int64's
    /// bounds plus one, exponents and fractions.
    static let hostileIntegers = ["9999999999999999999", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
                                  "1e400", "-1e400", "1e19", "12.5", "1" + String(repeating: "0", count: 400), "\"12\"", "true", "null"]
    /// For the pose and score fields: overflow, out of range, not a number.
    static let hostileDoubles = ["1e400", "-1e400", "1e308", "-1e308", "181", "99999999999999999999999", "\"1\"", "null"]
    /// For one embedding component: Double overflow, Float overflow, not a number.
    static let hostileComponents = ["1e400", "-1e400", "1e39", "-3.5e38", "\"x\"", "null"]

    /// A structurally valid face object with one field of the first frame replaced.
    static func face(frames: Int = 5, base64: Bool, replacing field: String? = nil, with value: String = "") -> String {
        let values = (0..<128).map { index in String(format: "%.4f", sin(Double(index + 1))) }
        var frameTexts: [String] = []
        for index in 0..<frames {
            var fields: [(String, String)] = [("t_ms", "\(index * 100)"), ("yaw_deg", "1.5"), ("pitch_deg", "-0.5"),
                                              ("eyes_open", "0.9"), ("pad_score", "0.98")]
            if base64 {
                guard case .base64(let text) = EvidenceFrame.RawEmbedding.base64(of: values.map { Float($0)! }) else { return "" }
                fields.append(("embedding_b64", "\"\(text)\""))
            } else {
                fields.append(("embedding", "[" + values.joined(separator: ",") + "]"))
            }
            if index == 0, let field {
                if field == "embedding[0]" {
                    fields.removeAll { $0.0 == "embedding" || $0.0 == "embedding_b64" }
                    fields.append(("embedding", "[" + ([value] + values.dropFirst()).joined(separator: ",") + "]"))
                } else if let position = fields.firstIndex(where: { $0.0 == field }) {
                    fields[position].1 = value
                }
            }
            frameTexts.append("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        }
        return #"{"challenge_id":"chl_hostile","model":"sim-128","frames":["# + frameTexts.joined(separator: ",") + "]}"
    }

    /// Expects a 400 problem+json, then checks the same client is still served.
    static func expectRefused(_ client: TestClient, _ method: HTTPMethod, _ path: String, body: String? = nil,
                              what: String) async throws {
        let reply = try await client.send(method, path, body: body.map { Data($0.utf8) },
                                          headers: [("Idempotency-Key", UUID().uuidString)])
        #expect(reply.status == 400, "\(what): \(reply.status) \(String(decoding: reply.body.prefix(300), as: UTF8.self))")
        #expect(reply.contentType == "application/problem+json", "\(what)")
        #expect(try reply.json()["code"] as? String != nil, "\(what)")
    }

    @Test("every numeric field of every body, with overflowing or out-of-range values")
    func numericBodyFields() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: UInt64.random(in: 1...UInt64.max))
            let jane = shoppers.person()
            let (customerID, _) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 50_000)
            let approved = try await shoppers.pay(jane, terminal: terminal, amount: 1000).json()
            let paymentID = try #require(approved["payment_id"] as? String)
            let held = try await shoppers.pay(jane, terminal: terminal, amount: 500, extra: #""capture_method":"manual""#).json()
            let holdID = try #require(held["payment_id"] as? String)

            let enrolment = { (amount: String, face: String) in
                #"{"name":"Max","phone":"+4915100000000","consent":{"version":"2026-01","accepted":true},"face":"# + face
                    + #","initial_deposit":{"amount":"# + amount + #","currency":"EUR"}}"#
            }
            let validFace = Self.face(base64: true)
            for value in Self.hostileIntegers {
                try await Self.expectRefused(terminal, .POST, "/v1/payments", body: #"{"amount":\#(value),"currency":"EUR","face":\#(validFace)}"#,
                                             what: "payment amount \(value)")
                try await Self.expectRefused(kiosk, .POST, "/v1/customers", body: enrolment(value, validFace), what: "initial deposit \(value)")
                try await Self.expectRefused(kiosk, .POST, "/v1/customers/\(customerID)/deposits", body: #"{"amount":\#(value),"currency":"EUR"}"#,
                                             what: "deposit \(value)")
                // A null capture amount is a valid request (capture what is held), so not here.
                guard value != "null" else { continue }
                try await Self.expectRefused(terminal, .POST, "/v1/payments/\(holdID)/capture", body: #"{"amount":\#(value)}"#, what: "capture \(value)")
                try await Self.expectRefused(terminal, .POST, "/v1/payments/\(paymentID)/refunds", body: #"{"amount":\#(value)}"#, what: "refund \(value)")
            }
            // Face fields, in both embedding encodings (base64 takes the strict fast path), on
            // each body that carries a face.
            var faces: [(String, String)] = []
            for base64 in [true, false] {
                for value in Self.hostileIntegers { faces.append(("t_ms=\(value) b64=\(base64)", Self.face(base64: base64, replacing: "t_ms", with: value))) }
                for field in ["yaw_deg", "pitch_deg", "eyes_open", "pad_score"] {
                    for value in Self.hostileDoubles { faces.append(("\(field)=\(value) b64=\(base64)", Self.face(base64: base64, replacing: field, with: value))) }
                }
            }
            for value in Self.hostileComponents { faces.append(("embedding[0]=\(value)", Self.face(base64: false, replacing: "embedding[0]", with: value))) }
            for (what, face) in faces {
                try await Self.expectRefused(terminal, .POST, "/v1/payments", body: #"{"amount":100,"currency":"EUR","face":\#(face)}"#, what: "payment \(what)")
                try await Self.expectRefused(terminal, .POST, "/v1/verifications", body: #"{"face":\#(face)}"#, what: "verification \(what)")
                try await Self.expectRefused(kiosk, .POST, "/v1/customers", body: enrolment("0", face), what: "enrolment \(what)")
                try await Self.expectRefused(kiosk, .DELETE, "/v1/customers/\(customerID)/biometrics", body: #"{"face":\#(face)}"#, what: "erasure \(what)")
            }
            // Nothing was charged or locked by any of it: the next honest payment is approved.
            let next = try await shoppers.pay(jane, terminal: terminal, amount: 100)
            #expect(try next.json()["status"] as? String == "approved", "\(String(decoding: next.body, as: UTF8.self))")
        }
    }

    @Test("every numeric query parameter, with overflowing, negative and out-of-range values")
    func numericQueryParameters() async throws {
        try await TestServer.with { server in
            let auditor = try server.registerDevice("A-1", role: .auditor)
            let integers = ["99999999999999999999", "-1", "1e3", "12.5", "0x10", "9223372036854775808", "%00", "1%20"]
            let times = ["9999-12-31T23:59:59-12:00", "0000-01-01T00:00:00+14:00", "+275760-09-13T00:00:00Z", "2026-13-01T00:00:00Z",
                         "2026-02-30T00:00:00Z", String(repeating: "9", count: 200), "1e400"]
            var cases: [String] = []
            for path in ["/v1/ledger/transfers", "/v1/ledger/transfers.csv", "/v1/audit/events", "/console/ledger"] {
                for value in integers + ["0", "1001"] { cases.append("\(path)?limit=\(value)") }
                for value in integers { cases.append("\(path)?cursor=\(value)") }
                for value in times { cases.append("\(path)?since=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
            }
            for path in ["/v1/ledger/transfers", "/v1/ledger/transfers.csv", "/console/ledger"] {
                for value in times { cases.append("\(path)?until=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
            }
            for value in integers { cases.append("/console/ledger?events_cursor=\(value)"); cases.append("/console/ledger?events_limit=\(value)") }
            for path in cases {
                try await Self.expectRefused(auditor, .GET, path, what: path)
            }
            // The largest cursor is a valid (empty) page, not an overflow.
            let last = try await auditor.send(.GET, "/v1/ledger/transfers?cursor=9223372036854775807")
            #expect(last.status == 200)
            #expect(try await auditor.send(.GET, "/v1/audit/verify").status == 200)
        }
    }
}
