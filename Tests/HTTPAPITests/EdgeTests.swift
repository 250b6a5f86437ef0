import AsyncHTTPClient
import Foundation
import Storage
import Stores
import Testing

@Suite("HTTP edges: problem+json, limits, ops endpoints")
struct EdgeTests {
    @Test("an oversized body gets 413 problem+json, declared or chunked")
    func oversizedBody() async throws {
        try await TestServer.with(bodyBytesMax: 1024) { server in
            try await using(try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")) { client in
                let reply = try await client.send(.POST, "/v1/me", body: Data(repeating: 0x20, count: 4096))
                #expect(reply.status == 413)
                #expect(reply.contentType == "application/problem+json")
                let problem = try reply.json()
                #expect(problem["code"] as? String == "body_too_large")
                #expect(problem["status"] as? Int == 413)
                // The connection stays usable for the next request.
                #expect(try await client.send(.GET, "/v1/me").status == 200)
            }
        }
    }

    @Test("an unknown route gets 404 problem+json")
    func unknownRoute() async throws {
        try await TestServer.with { server in
            try await using(try server.registerDevice("A-1", role: .auditor)) { client in
                let reply = try await client.send(.GET, "/v1/no-such-thing")
                #expect(reply.status == 404)
                #expect(reply.contentType == "application/problem+json")
                let problem = try reply.json()
                #expect(problem["code"] as? String == "not_found")
                #expect(problem["type"] as? String == "urn:facepay:problem:not_found")
                #expect(problem["title"] != nil)
            }
        }
    }

    @Test("ops: /healthz, /readyz and per-route /metrics over plain HTTP")
    func opsEndpoints() async throws {
        try await TestServer.with { server in
            try await using(try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")) { client in
                _ = try await client.send(.GET, "/v1/me")
            }
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = http.shutdown() }
            func get(_ path: String) async throws -> (Int, String) {
                let response = try await http.execute(HTTPClientRequest(url: "http://127.0.0.1:\(server.opsPort)\(path)"), timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), String(buffer: body))
            }
            #expect(try await get("/healthz").0 == 200)
            #expect(try await get("/readyz").0 == 200)
            let (status, metrics) = try await get("/metrics")
            #expect(status == 200)
            #expect(metrics.contains(#"facepay_http_requests_total{route="/v1/me",method="GET",status="200"} 1"#))
            #expect(metrics.contains("facepay_http_request_duration_seconds_bucket{route=\"/v1/me\""))
        }
    }
}

@Suite("the OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("GET /openapi.json serves the committed OpenAPI 3.1 document, which describes /v1/me")
    func served() async throws {
        try await TestServer.with { server in
            try await using(try server.registerDevice("K-1", role: .kiosk)) { client in
                let reply = try await client.send(.GET, "/openapi.json")
                #expect(reply.status == 200)
                let document = try reply.json()
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = try #require(document["paths"] as? [String: Any])
                #expect(paths["/v1/me"] != nil)
                let identity = try await client.send(.GET, "/v1/me").json()
                #expect(identity.keys.contains("merchant_id"), "merchant_id is null, not absent, for a kiosk")
            }
        }
    }
}
