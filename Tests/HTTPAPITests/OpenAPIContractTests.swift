import FacePayCore
import Foundation
@testable import HTTPAPI
import Hummingbird
import NIOHTTP1
import Simulator
@testable import Storage
import Stores
import Synchronization
import Testing

/// The committed OpenAPI document (`Sources/HTTPAPI/openapi.json`), read as plain JSON: the
/// file itself, not the copy the server embeds, so a stale build cannot hide a difference.
struct OpenAPIDocument {
    let root: [String: Any]

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    static var fileURL: URL {
        URL(fileURLWithPath: #filePath)  // …/Tests/HTTPAPITests/OpenAPIContractTests.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HTTPAPI/openapi.json")
    }

    static func load() throws -> OpenAPIDocument {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fileURL))
        return OpenAPIDocument(root: try #require(object as? [String: Any]))
    }

    /// A path template with its parameter names erased: Hummingbird writes `{id}` where the
    /// document writes `{payment_id}`; only the shape must agree.
    static func shape(_ template: String) -> String {
        template.replacing(/\{[^}]*\}/, with: "{}")
    }

    /// `METHOD /shape` for every operation of the document.
    var operations: [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for (path, item) in root["paths"] as? [String: [String: Any]] ?? [:] {
            for method in Self.methods {
                if let operation = item[method] as? [String: Any] { result["\(method.uppercased()) \(Self.shape(path))"] = operation }
            }
        }
        return result
    }

    var pathTemplates: [String] { Array((root["paths"] as? [String: Any] ?? [:]).keys) }

    /// The documented template a concrete path falls under; literal segments win over
    /// parameters, as in the router (`/v1/ledger/transfers.csv` is not `/v1/ledger/{x}`).
    func template(for path: String) -> String? {
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/")
        var best: (template: String, literals: Int)?
        for template in pathTemplates {
            let parts = template.split(separator: "/")
            guard parts.count == segments.count else { continue }
            var literals = 0
            var matches = true
            for (part, segment) in zip(parts, segments) {
                if part.hasPrefix("{") && part.hasSuffix("}") { continue }
                if part == segment { literals += 1 } else { matches = false; break }
            }
            if matches, literals > best?.literals ?? -1 { best = (template, literals) }
        }
        return best?.template
    }

    /// Follows a local `$ref` (`#/components/responses/NotFound`) until it reaches an object.
    func resolve(_ object: [String: Any]) -> [String: Any] {
        guard let reference = object["$ref"] as? String, reference.hasPrefix("#/") else { return object }
        var current: Any = root
        for key in reference.dropFirst(2).split(separator: "/") {
            guard let next = (current as? [String: Any])?[String(key)] else { return [:] }
            current = next
        }
        return resolve(current as? [String: Any] ?? [:])
    }

    /// The response the operation documents for `status`: the exact code, else its range
    /// (`4XX`), else `default`.
    func response(_ operation: [String: Any], status: Int) -> [String: Any]? {
        let responses = operation["responses"] as? [String: Any] ?? [:]
        for key in [String(status), "\(status / 100)XX", "default"] {
            if let response = responses[key] as? [String: Any] { return resolve(response) }
        }
        return nil
    }

    /// Every `code` enum the problem schema of `response` declares (through `$ref` and
    /// `allOf`); a code must be in each of them. Empty when the document gives no enum.
    func codeEnums(_ response: [String: Any]) -> [[String]] {
        let content = response["content"] as? [String: Any] ?? [:]
        guard let media = content[ProblemDetails.mediaType] as? [String: Any],
              let schema = media["schema"] as? [String: Any] else { return [] }
        return codeEnums(inSchema: schema)
    }

    private func codeEnums(inSchema schema: [String: Any]) -> [[String]] {
        let schema = resolve(schema)
        var enums: [[String]] = []
        if let code = (schema["properties"] as? [String: Any])?["code"] as? [String: Any], let values = resolve(code)["enum"] as? [String] {
            enums.append(values)
        }
        for part in schema["allOf"] as? [[String: Any]] ?? [] { enums += codeEnums(inSchema: part) }
        return enums
    }

    /// The header row of the CSV export's documented example.
    var csvExampleHeader: String? {
        guard let operation = operations["GET /v1/ledger/transfers.csv"], let ok = response(operation, status: 200),
              let csv = (ok["content"] as? [String: Any])?["text/csv"] as? [String: Any],
              let example = (csv["examples"] as? [String: Any])?.values.first as? [String: Any],
              let text = example["value"] as? String else { return nil }
        return text.split(separator: "\r\n").first.map(String.init)
    }

    /// The media types a response documents (`application/json`, `text/html`, …).
    func mediaTypes(_ response: [String: Any]) -> Set<String> {
        Set((response["content"] as? [String: Any] ?? [:]).keys)
    }
}

/// A JSON value exactly as sent: unlike `JSONSerialization`, booleans, integers and other
/// numbers stay apart, which type checks against a schema need.
indirect enum JSONValue: Decodable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var numeric: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

extension OpenAPIDocument {
    /// Where `value` breaks `schema`, as `path: what`; empty when it conforms. Covers the
    /// JSON Schema keywords this document uses for responses: `$ref`, `type`, `enum`, `const`,
    /// `required`, `properties`, `items`, `allOf`, `oneOf`, `anyOf`, `not`, `if`/`then`/`else`,
    /// numeric, length and size bounds, `pattern`, `uniqueItems`. (`format` is not checked.)
    func violations(_ value: JSONValue, _ schema: [String: Any], at path: String = "$") -> [String] {
        var schema = schema
        var found: [String] = []
        if schema["$ref"] != nil {
            found += violations(value, resolve(["$ref": schema["$ref"] as Any]), at: path)
            schema["$ref"] = nil
        }
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }), !types.contains(where: { Self.value(value, hasType: $0) }) {
            found.append("\(path): \(value) is not \(types.joined(separator: " or "))")
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.value(value, equals: $0) }) {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        if let constant = schema["const"], !Self.value(value, equals: constant) {
            found.append("\(path): \(value) is not \(constant)")
        }
        switch value {
        case .object(let members):
            for name in schema["required"] as? [String] ?? [] where members[name] == nil {
                found.append("\(path): required '\(name)' is missing")
            }
            for (name, member) in members {
                if let property = (schema["properties"] as? [String: Any])?[name] as? [String: Any] {
                    found += violations(member, property, at: "\(path).\(name)")
                }
            }
        case .array(let elements):
            if let items = schema["items"] as? [String: Any] {
                for (index, element) in elements.enumerated() { found += violations(element, items, at: "\(path)[\(index)]") }
            }
            if let least = schema["minItems"] as? Int, elements.count < least { found.append("\(path): fewer than \(least) items") }
            if let most = schema["maxItems"] as? Int, elements.count > most { found.append("\(path): more than \(most) items") }
            if schema["uniqueItems"] as? Bool == true, Set(elements).count != elements.count { found.append("\(path): items repeat") }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let least = schema["minLength"] as? Int, length < least { found.append("\(path): shorter than \(least)") }
            if let most = schema["maxLength"] as? Int, length > most { found.append("\(path): longer than \(most)") }
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): \"\(text)\" does not match \(pattern)")
            }
        default:
            if let number = value.numeric {
                if let least = (schema["minimum"] as? NSNumber)?.doubleValue, number < least { found.append("\(path): \(number) < \(least)") }
                if let most = (schema["maximum"] as? NSNumber)?.doubleValue, number > most { found.append("\(path): \(number) > \(most)") }
            }
        }
        for part in schema["allOf"] as? [[String: Any]] ?? [] { found += violations(value, part, at: path) }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let passing = choices.filter { violations(value, $0, at: path).isEmpty }.count
            if passing != 1 { found.append("\(path): \(value) matches \(passing) of the oneOf choices, not exactly one") }
        }
        if let choices = schema["anyOf"] as? [[String: Any]], !choices.contains(where: { violations(value, $0, at: path).isEmpty }) {
            found.append("\(path): \(value) matches none of the anyOf choices")
        }
        if let forbidden = schema["not"] as? [String: Any], violations(value, forbidden, at: path).isEmpty {
            found.append("\(path): \(value) matches a schema it must not")
        }
        if let condition = schema["if"] as? [String: Any] {
            let branch = violations(value, condition, at: path).isEmpty ? schema["then"] : schema["else"]
            if let branch = branch as? [String: Any] { found += violations(value, branch, at: path) }
        }
        return found
    }

    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    /// `enum` and `const` literals, as JSONSerialization read them from the document.
    static func value(_ value: JSONValue, equals literal: Any) -> Bool {
        switch value {
        case .string(let text): (literal as? String) == text
        case .null: literal is NSNull
        case .bool(let flag): (literal as? Bool) == flag && !(literal is String)
        default: value.numeric != nil && (literal as? NSNumber)?.doubleValue == value.numeric
        }
    }

    /// The schema a response documents for a media type.
    func schema(_ response: [String: Any], mediaType: String) -> [String: Any]? {
        ((response["content"] as? [String: Any])?[mediaType] as? [String: Any])?["schema"] as? [String: Any]
    }
}

/// Every reply of the scenario that the test asked for itself, with its body.
final class ExchangeLog: Sendable {
    struct Exchange: Sendable {
        let method: String
        let path: String
        let status: Int
        let contentType: String?
        let body: Data
    }

    private let exchanges = Mutex<[Exchange]>([])

    var all: [Exchange] { exchanges.withLock { $0 } }

    func record(_ method: HTTPMethod, _ path: String, _ reply: TestClient.Reply) {
        exchanges.withLock { $0.append(Exchange(method: method.rawValue, path: path, status: reply.status, contentType: reply.contentType, body: reply.body)) }
    }

    /// Sends, records, and checks the status the scenario step is there to produce (so a
    /// changed server cannot quietly stop covering it); the body is in the failure message.
    @discardableResult
    func send(_ client: TestClient, _ method: HTTPMethod, _ path: String, body: Data? = nil, key: String? = nil,
              expect expected: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestClient.Reply {
        let reply = try await client.send(method, path, body: body, headers: key.map { [("Idempotency-Key", $0)] } ?? [])
        record(method, path, reply)
        #expect(reply.status == expected, "\(method) \(path): \(String(decoding: reply.body.prefix(500), as: UTF8.self))",
                sourceLocation: sourceLocation)
        return reply
    }
}

@Suite("the OpenAPI document against the live server")
struct OpenAPIContractTests {
    /// `(method, route shape, status)` of every request the server answered, from its own
    /// per-route metrics: the router's matched template, not the test's guess, and it includes
    /// the calls `Shoppers` makes.
    static func servedRoutes(_ exposition: String) -> Set<String> {
        var served: Set<String> = []
        for line in exposition.split(separator: "\n") where line.hasPrefix("facepay_http_requests_total{") {
            guard let match = line.firstMatch(of: /route="([^"]*)",method="([^"]*)",status="(\d+)"/) else { continue }
            served.insert("\(match.output.2) \(OpenAPIDocument.shape(String(match.output.1))) \(match.output.3)")
        }
        return served
    }

    @Test("every route the server registers is an operation of the document, and every operation is a route")
    func routesAreDocumented() async throws {
        try await TestServer.with { server in
            let document = try OpenAPIDocument.load()
            // The server keeps its router to itself, so build one with the same route groups and
            // ask Hummingbird for its routes; the source check below keeps the groups in step.
            let router = Router(context: FacePayRequestContext.self)
            let queries = AuditorQueries(limits: Limits())
            IdentityRoutes().register(on: router)
            PaymentRoutes(payments: server.payments).register(on: router)
            AuditorRoutes(reader: server.database, receipts: nil, counts: server.database, queries: queries).register(on: router)
            ConsoleRoutes(reader: server.database, receipts: nil, counts: server.database, queries: queries, clock: SystemWallClock(), time: ConsoleTime(zone: .current)).register(on: router)
            let registered = Set(router.routes.map { "\($0.method.rawValue) \(OpenAPIDocument.shape($0.path.description))" })
            let documented = Set(document.operations.keys)
            #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.json: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented operations with no route: \(documented.subtracting(registered).sorted())")
        }

        // The route groups above must be exactly those FacePayServer wires, and it must add no
        // route of its own; otherwise a new group would escape this test.
        let serverSource = try String(contentsOf: OpenAPIDocument.fileURL.deletingLastPathComponent().appendingPathComponent("FacePayServer.swift"), encoding: .utf8)
        let wired = Set(serverSource.matches(of: /(\w+Routes)\(.*\)\.register\(on: router\)/).map { String($0.output.1) })
        #expect(wired == ["IdentityRoutes", "PaymentRoutes", "AuditorRoutes", "ConsoleRoutes"])
        #expect(serverSource.firstMatch(of: /\brouter\.(get|put|post|patch|delete|head|on|group)\(/) == nil,
                "FacePayServer adds a route directly; register it in a *Routes type and add that type to this test")
    }

    @Test("every status the live server answers in a representative scenario is documented for its operation, with a documented code")
    func statusesAreDocumented() async throws {
        try await TestServer.with { server in
            let document = try OpenAPIDocument.load()
            let (terminal, otherMerchant, kiosk, auditor) = try server.cast()
            let lockedTerminal = try server.registerDevice("T-3", role: .terminal, merchantID: "M-1")
            let log = ExchangeLog()
            try await Self.driveScenario(server, terminal: terminal, otherMerchant: otherMerchant, kiosk: kiosk,
                                         auditor: auditor, lockedTerminal: lockedTerminal, log: log,
                                         documentedCSVHeader: document.csvExampleHeader)

            let served = Self.servedRoutes(server.metrics.exposition())
            let operations = document.operations
            for triple in served.sorted() {
                let parts = triple.split(separator: " ")
                let key = "\(parts[0]) \(parts[1])"
                let status = Int(parts[2]) ?? 0
                guard let operation = operations[key] else {
                    Issue.record("the server answered \(triple), but the document has no operation \(key)")
                    continue
                }
                #expect(document.response(operation, status: status) != nil, "\(key) answered \(status), which the document does not list")
            }
            // The scenario must reach every operation: a new route needs a line in it.
            let exercised = Set(served.map { $0.split(separator: " ").prefix(2).joined(separator: " ") })
            #expect(Set(operations.keys).subtracting(exercised).isEmpty,
                    "operations the scenario never called: \(Set(operations.keys).subtracting(exercised).sorted())")

            for exchange in log.all {
                let label = "\(exchange.method) \(exchange.path) → \(exchange.status)"
                guard let template = document.template(for: exchange.path),
                      let operation = operations["\(exchange.method) \(OpenAPIDocument.shape(template))"] else {
                    Issue.record("\(label): no documented operation")
                    continue
                }
                #expect(served.contains("\(exchange.method) \(OpenAPIDocument.shape(template)) \(exchange.status)"),
                        "\(label): the server routed it to another template than \(template)")
                guard let response = document.response(operation, status: exchange.status) else { continue }  // reported above
                let mediaType = exchange.contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
                if let mediaType, mediaType.hasSuffix("json"), let schema = document.schema(response, mediaType: mediaType) {
                    let body = try JSONDecoder().decode(JSONValue.self, from: exchange.body)
                    let violations = document.violations(body, schema)
                    #expect(violations.isEmpty, "\(label): the body breaks its documented schema: \(violations)")
                }
                if exchange.status >= 400 {
                    #expect(mediaType == ProblemDetails.mediaType, "\(label): errors are problem+json")
                    let problem = (try? JSONSerialization.jsonObject(with: exchange.body)) as? [String: Any] ?? [:]
                    #expect(problem["status"] as? Int == exchange.status, "\(label)")
                    let code = problem["code"] as? String ?? "(none)"
                    for allowed in document.codeEnums(response) {
                        #expect(allowed.contains(code), "\(label): code \(code) is not among the documented \(allowed)")
                    }
                } else if exchange.status == 204 {
                    #expect(exchange.body.isEmpty, "\(label): 204 has no body")
                } else {
                    let documented = document.mediaTypes(response)
                    #expect(mediaType.map(documented.contains) == true, "\(label): served \(mediaType ?? "no content type"), documented \(documented.sorted())")
                }
            }
        }
    }

    /// Found by schemathesis (`missing_required_header`): the document required `Idempotency-Key`
    /// on challenges and verifications, which take none (docs/ARCHITECTURE.md): 201 without it,
    /// or 429 from a locked device. Now every header the document requires is one the
    /// server will not go without (400 `invalid_idempotency_key` before anything else is looked
    /// at, from a locked-out device too), and an operation that requires none never asks for one.
    @Test("a header is required by the document exactly where the server requires it, lockout or not")
    func requiredHeadersAreTheServers() async throws {
        try await TestServer.with { server in
            let document = try OpenAPIDocument.load()
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            try await shoppers.lockOut(terminal)
            let clients = ["terminal": terminal, "kiosk": kiosk, "auditor": auditor]
            let pathValues = ["payment_id": "pay_nothing", "customer_id": "cus_nothing", "account_id": "acc_nothing"]
            var checked = 0
            for (path, item) in document.root["paths"] as? [String: [String: Any]] ?? [:] {
                for method in OpenAPIDocument.methods {
                    guard let operation = item[method] as? [String: Any] else { continue }
                    let label = "\(method.uppercased()) \(path)"
                    let role = try #require((operation["x-facepay-roles"] as? [String])?.first, "\(label): no x-facepay-roles")
                    let client = try #require(clients[role], "\(label): role \(role)")
                    let required = (operation["parameters"] as? [[String: Any]] ?? []).map { document.resolve($0) }
                        .filter { $0["in"] as? String == "header" && $0["required"] as? Bool == true }
                        .compactMap { $0["name"] as? String }
                    #expect(Set(required).isSubset(of: ["Idempotency-Key"]), "\(label): a new required header needs a case in this test")
                    var concrete = path
                    for (name, value) in pathValues { concrete = concrete.replacing("{\(name)}", with: value) }
                    let body: Data? = method == "get" ? nil : Data("{}".utf8)
                    let reply = try await client.send(HTTPMethod(rawValue: method.uppercased()), concrete, body: body)
                    let code = (try? reply.json())?["code"] as? String
                    if required.contains("Idempotency-Key") {
                        #expect(reply.status == 400 && code == "invalid_idempotency_key",
                                "\(label) without Idempotency-Key: \(reply.status) \(code ?? "-")")
                        let documented = document.response(operation, status: reply.status).map { document.codeEnums($0) } ?? []
                        #expect(!documented.isEmpty && documented.allSatisfy { $0.contains(code ?? "") }, "\(label): the 400 documents the code")
                    } else {
                        #expect(code != "invalid_idempotency_key", "\(label) asks for a key the document does not require")
                    }
                    checked += 1
                }
            }
            #expect(checked == document.operations.count)
        }
    }

    /// Enrolment, deposits, payments (approved, declined, held, captured, voided, refunded),
    /// verification, erasure, lockout, every auditor read and the console; each success next
    /// to the errors a client can really provoke. Each `#expect` pins the status the step is
    /// there to produce, so a changed scenario cannot quietly stop covering it.
    static func driveScenario(_ server: TestServer, terminal: TestClient, otherMerchant: TestClient, kiosk: TestClient,
                              auditor: TestClient, lockedTerminal: TestClient, log: ExchangeLog,
                              documentedCSVHeader: String?) async throws {
        var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
        let jane = shoppers.person()
        let json = { (text: String) in Data(text.utf8) }
        let enrolFields = #""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":5000,"currency":"EUR"}"#

        // Identity and the document.
        for client in [terminal, kiosk, auditor] { try await log.send(client, .GET, "/v1/me", expect: 200) }
        try await log.send(kiosk, .GET, "/openapi.json", expect: 200)

        // Challenges: for terminals and kiosks only.
        try await log.send(terminal, .POST, "/v1/challenges", expect: 201)
        try await log.send(auditor, .POST, "/v1/challenges", expect: 403)

        // Enrolment.
        let (customerID, accountID) = try await shoppers.enrol(jane, kiosk: kiosk)
        try await log.send(kiosk, .POST, "/v1/customers", body: Shoppers.body(enrolFields, face: try await shoppers.face(of: jane, for: kiosk)),
                           key: "enrol-again", expect: 409)
        let noConsent = #""name":"Jo Doe","phone":"+4915100000000","consent":{"version":"2026-01","accepted":false},"initial_deposit":{"amount":0,"currency":"EUR"}"#
        try await log.send(kiosk, .POST, "/v1/customers", body: Shoppers.body(noConsent, face: try await shoppers.face(of: shoppers.person(), for: kiosk)),
                           key: "enrol-consent", expect: 422)
        try await log.send(kiosk, .POST, "/v1/customers", body: json("{}"), key: "enrol-empty", expect: 400)
        try await log.send(kiosk, .POST, "/v1/customers", body: json("{}"), expect: 400)
        try await log.send(terminal, .POST, "/v1/customers", body: json("{}"), key: "enrol-terminal", expect: 403)

        // Deposits.
        try await log.send(kiosk, .POST, "/v1/customers/\(customerID)/deposits", body: json(#"{"amount":1000,"currency":"EUR"}"#), key: "dep-1", expect: 201)
        try await log.send(kiosk, .POST, "/v1/customers/cus_nobody/deposits", body: json(#"{"amount":1000,"currency":"EUR"}"#), key: "dep-2", expect: 404)
        try await log.send(kiosk, .POST, "/v1/customers/\(customerID)/deposits", body: json(#"{"amount":1000,"currency":"USD"}"#), key: "dep-3", expect: 422)
        try await log.send(kiosk, .POST, "/v1/customers/\(customerID)/deposits", body: json(#"{"amount":"lots"}"#), key: "dep-4", expect: 400)

        // Payments: approved, declined, malformed, conflicting, too large, wrong role.
        let approved = try await shoppers.pay(jane, terminal: terminal, amount: 1250, key: "pay-1")
        log.record(.POST, "/v1/payments", approved)
        #expect(try approved.json()["status"] as? String == "approved")
        let paymentID = try #require(try approved.json()["payment_id"] as? String)
        let declined = try await shoppers.pay(shoppers.person(), terminal: terminal, amount: 100)
        log.record(.POST, "/v1/payments", declined)
        #expect(declined.status == 201)
        #expect(try declined.json()["status"] as? String == "declined")
        try await log.send(terminal, .POST, "/v1/payments", body: json(#"{"amount":"x"}"#), key: "pay-bad", expect: 400)
        let badEmbedding = #"{"amount":100,"currency":"EUR","face":{"challenge_id":"chl_x","model":"sim-128","frames":[{"t_ms":0,"embedding":[1,2],"yaw_deg":0,"pitch_deg":0,"eyes_open":1,"pad_score":1}]}}"#
        try await log.send(terminal, .POST, "/v1/payments", body: json(badEmbedding), key: "pay-embedding", expect: 400)
        try await log.send(terminal, .POST, "/v1/payments", body: json(#"{"amount":1,"currency":"EUR"}"#), key: "pay-1", expect: 409)
        try await log.send(terminal, .POST, "/v1/payments", body: Data(repeating: 0x20, count: Limits().bodyBytesMax + 1), key: "pay-big", expect: 413)
        try await log.send(kiosk, .POST, "/v1/payments", body: json("{}"), key: "pay-kiosk", expect: 403)

        // Reading a payment: its merchant and auditors; another merchant sees nothing.
        try await log.send(terminal, .GET, "/v1/payments/\(paymentID)", expect: 200)
        try await log.send(auditor, .GET, "/v1/payments/\(paymentID)", expect: 200)
        try await log.send(otherMerchant, .GET, "/v1/payments/\(paymentID)", expect: 404)
        try await log.send(terminal, .GET, "/v1/payments/pay_nothing", expect: 404)
        try await log.send(kiosk, .GET, "/v1/payments/\(paymentID)", expect: 403)

        // Holds: capture (too much, then part), capture or void again, void another hold.
        let held = try await shoppers.pay(jane, terminal: terminal, amount: 600, extra: #""capture_method":"manual""#)
        log.record(.POST, "/v1/payments", held)
        let heldID = try #require(try held.json()["payment_id"] as? String)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/refunds", body: json(#"{"amount":1}"#), key: "rf-held", expect: 409)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/capture", body: json(#"{"amount":601}"#), key: "cap-0", expect: 422)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/capture", body: json(#"{"amount":"all"}"#), key: "cap-bad", expect: 400)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/capture", body: json(#"{"amount":450}"#), key: "cap-1", expect: 200)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/capture", body: json(#"{"amount":1}"#), key: "cap-2", expect: 409)
        try await log.send(terminal, .POST, "/v1/payments/\(heldID)/void", key: "void-1", expect: 409)
        try await log.send(terminal, .POST, "/v1/payments/pay_nothing/capture", body: json(#"{"amount":1}"#), key: "cap-3", expect: 404)
        try await log.send(terminal, .POST, "/v1/payments/pay_nothing/void", key: "void-0", expect: 404)
        let second = try await shoppers.pay(jane, terminal: terminal, amount: 100, extra: #""capture_method":"manual""#)
        log.record(.POST, "/v1/payments", second)
        let secondID = try #require(try second.json()["payment_id"] as? String)
        try await log.send(terminal, .POST, "/v1/payments/\(secondID)/void", key: "void-2", expect: 200)

        // Refunds.
        try await log.send(terminal, .POST, "/v1/payments/\(paymentID)/refunds", body: json(#"{"amount":250}"#), key: "rf-1", expect: 201)
        try await log.send(terminal, .POST, "/v1/payments/\(paymentID)/refunds", body: json(#"{"amount":1001}"#), key: "rf-2", expect: 422)
        // (An empty body is valid: it refunds the rest, so the malformed one has an ill-typed amount.)
        try await log.send(terminal, .POST, "/v1/payments/\(paymentID)/refunds", body: json(#"{"amount":"half"}"#), key: "rf-3", expect: 400)
        try await log.send(otherMerchant, .POST, "/v1/payments/\(paymentID)/refunds", body: json(#"{"amount":1}"#), key: "rf-4", expect: 404)
        try await log.send(terminal, .POST, "/v1/payments/\(paymentID)/refunds", body: json(#"{"amount":2}"#), key: "rf-1", expect: 409)

        // Verification: 1:1, malformed, unknown customer.
        try await log.send(terminal, .POST, "/v1/verifications",
                           body: Shoppers.body(#""customer_id":"\#(customerID)""#, face: try await shoppers.face(of: jane, for: terminal)), expect: 200)
        try await log.send(terminal, .POST, "/v1/verifications", body: json(#"{"face":7}"#), expect: 400)
        try await log.send(terminal, .POST, "/v1/verifications",
                           body: Shoppers.body(#""customer_id":"cus_nobody""#, face: try await shoppers.face(of: jane, for: terminal)), expect: 404)

        // Erasure: the wrong face, an unknown customer, then the right face.
        try await log.send(kiosk, .DELETE, "/v1/customers/\(customerID)/biometrics",
                           body: Shoppers.body("", face: try await shoppers.face(of: shoppers.person(), for: kiosk)), key: "erase-0", expect: 422)
        try await log.send(kiosk, .DELETE, "/v1/customers/cus_nobody/biometrics",
                           body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)), key: "erase-1", expect: 404)
        try await log.send(kiosk, .DELETE, "/v1/customers/\(customerID)/biometrics", body: json("{}"), key: "erase-2", expect: 400)
        try await log.send(kiosk, .DELETE, "/v1/customers/\(customerID)/biometrics",
                           body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)), key: "erase-3", expect: 204)

        // Lockout: five printed photos, then the terminal gets no challenge.
        let mallory = shoppers.person()
        for attempt in 0..<5 {
            let (challengeID, _) = try await shoppers.challenge(lockedTerminal)
            let photo = AttackCaptureGenerator().printedPhoto(of: mallory, challengeID: challengeID, encoding: .array, using: &shoppers.random)
            let reply = try await log.send(lockedTerminal, .POST, "/v1/payments", body: Shoppers.body(#""amount":100,"currency":"EUR""#, face: photo.faceJSON()),
                                           key: "lock-\(attempt)", expect: 201)
            #expect(try reply.json()["decline_code"] as? String == "liveness_failed")
        }
        try await log.send(lockedTerminal, .POST, "/v1/challenges", expect: 429)
        // Locked, but a malformed request is still told what is wrong with it (400, documented
        // codes); only well-formed biometric work gets the 429.
        let lockedPhoto = AttackCaptureGenerator().printedPhoto(of: mallory, challengeID: "chl_x", encoding: .array, using: &shoppers.random).faceJSON()
        let unknownModel = Array(String(decoding: lockedPhoto, as: UTF8.self).replacing(#""sim-128""#, with: #""no-such-model""#).utf8)
        try await log.send(lockedTerminal, .POST, "/v1/verifications", body: Shoppers.body("", face: unknownModel), expect: 400)
        try await log.send(lockedTerminal, .POST, "/v1/payments", body: json(badEmbedding), key: "lock-embedding", expect: 400)
        try await log.send(lockedTerminal, .POST, "/v1/payments", body: json(badEmbedding), expect: 400)
        try await log.send(lockedTerminal, .POST, "/v1/verifications", body: Shoppers.body("", face: lockedPhoto), expect: 429)

        // The auditor's reads, each with a bad query where it takes one.
        try await log.send(auditor, .GET, "/v1/ledger/transfers", expect: 200)
        try await log.send(auditor, .GET, "/v1/ledger/transfers?limit=0", expect: 400)
        let csv = try await log.send(auditor, .GET, "/v1/ledger/transfers.csv?account_id=\(accountID)", expect: 200)
        #expect(String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n").first.map(String.init) == documentedCSVHeader,
                "the CSV columns are the documented ones, in the documented order")
        try await log.send(auditor, .GET, "/v1/ledger/transfers.csv?since=yesterday", expect: 400)
        try await log.send(auditor, .GET, "/v1/ledger/accounts/\(accountID)", expect: 200)
        try await log.send(auditor, .GET, "/v1/ledger/accounts/acc_nothing", expect: 404)
        try await log.send(auditor, .GET, "/v1/audit/events?action=payment.approved", expect: 200)
        try await log.send(auditor, .GET, "/v1/audit/events?cursor=soon", expect: 400)
        try await log.send(auditor, .GET, "/v1/audit/head", expect: 200)
        try await log.send(auditor, .GET, "/v1/audit/verify", expect: 200)
        try await log.send(terminal, .GET, "/v1/audit/verify", expect: 403)
        try await log.send(auditor, .GET, "/v1/audit/checkpoint", expect: 200)
        try await log.send(auditor, .GET, "/v1/audit/keys", expect: 200)
        try await log.send(auditor, .GET, "/v1/audit/proof?from=1&event=1", expect: 200)
        try await log.send(auditor, .GET, "/v1/audit/proof", expect: 400)
        try await log.send(auditor, .GET, "/v1/audit/proof?from=soon", expect: 400)
        try await log.send(kiosk, .GET, "/v1/audit/checkpoint", expect: 403)
        try await log.send(kiosk, .GET, "/v1/ledger/transfers", expect: 403)

        // The console.
        try await log.send(auditor, .GET, "/console/ledger", expect: 200)
        try await log.send(auditor, .GET, "/console/ledger?limit=0", expect: 400)
        try await log.send(terminal, .GET, "/console/ledger", expect: 403)
        try await log.send(auditor, .GET, "/console", expect: 200)
        try await log.send(auditor, .GET, "/console?period=7d", expect: 200)
        try await log.send(auditor, .GET, "/console?period=custom", expect: 400)
        try await log.send(kiosk, .GET, "/console", expect: 403)
        try await log.send(auditor, .GET, "/console/events/1?verify=1", expect: 200)
        try await log.send(auditor, .GET, "/console/events/99999999", expect: 404)
        try await log.send(auditor, .GET, "/console/events/first", expect: 400)
        try await log.send(terminal, .GET, "/console/events/1", expect: 403)

        // Last, a tampered ledger, so the integrity report's problems meet their schema too.
        try await server.database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_events_no_update")
            try db.execute(sql: #"UPDATE audit_events SET detail = '{"amount":1}' WHERE seq = 2"#)
        }
        let report = try await log.send(auditor, .GET, "/v1/audit/verify", expect: 200)
        #expect(try report.json()["ok"] as? Bool == false)
        try await log.send(auditor, .GET, "/console/ledger", expect: 200)
    }
}
