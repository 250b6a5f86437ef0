import AsyncHTTPClient
import FacePayCore
import Foundation
import HTTPAPI
import Storage
import Stores
import Testing

@Suite("mutual-TLS identity")
struct IdentityTests {
    @Test("a registered terminal reaches /v1/me and gets its identity")
    func registeredTerminal() async throws {
        try await TestServer.with { server in
            let client = try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")
            try await using(client) { client in
                let reply = try await client.send(.GET, "/v1/me")
                #expect(reply.status == 200)
                let body = try reply.json()
                #expect(body["device_id"] as? String == "T-1")
                #expect(body["role"] as? String == "terminal")
                #expect(body["merchant_id"] as? String == "M-1")
            }
        }
    }

    @Test("no client certificate is refused during the TLS handshake")
    func noCertificate() async throws {
        try await TestServer.with { server in
            let refused = try await handshakeRefused(try server.anonymousClient())
            #expect(refused)
        }
    }

    @Test("a certificate from another CA is refused during the TLS handshake")
    func foreignCertificateAuthority() async throws {
        try await TestServer.with { server in
            try server.database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
            let otherAuthority = try CertificateAuthority.create(commonName: "Someone else's CA")
            let refused = try await handshakeRefused(try server.client(certificateFor: "T-1", role: "terminal", authority: otherAuthority))
            #expect(refused)
        }
    }

    @Test("an unknown CN gets 403 unknown_device")
    func unknownDevice() async throws {
        try await TestServer.with { server in
            try await using(try server.client(certificateFor: "T-NOBODY", role: "terminal")) { client in
                let reply = try await client.send(.GET, "/v1/me")
                #expect(reply.status == 403)
                #expect(reply.contentType == "application/problem+json")
                #expect(try reply.json()["code"] as? String == "unknown_device")
            }
        }
    }

    @Test("a certificate whose OU is not the registered role gets 403 wrong_role")
    func wrongRole() async throws {
        try await TestServer.with { server in
            try server.database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
            try await using(try server.client(certificateFor: "T-1", role: "auditor")) { client in
                let reply = try await client.send(.GET, "/v1/me")
                #expect(reply.status == 403)
                #expect(try reply.json()["code"] as? String == "wrong_role")
            }
        }
    }

    @Test("revocation takes effect on the very next request, without restart")
    func revocation() async throws {
        try await TestServer.with { server in
            try await using(try server.registerDevice("K-1", role: .kiosk)) { client in
                #expect(try await client.send(.GET, "/v1/me").status == 200)
                try server.database.revokeDevice(id: "K-1", now: Date())
                let reply = try await client.send(.GET, "/v1/me")
                #expect(reply.status == 403)
                #expect(try reply.json()["code"] as? String == "device_revoked")
            }
        }
    }

    /// True when the request fails before any HTTP response (the TLS handshake refused it).
    func handshakeRefused(_ client: TestClient) async throws -> Bool {
        defer { _ = client.http.shutdown() }
        do {
            _ = try await client.send(.GET, "/v1/me")
            return false
        } catch {
            return true
        }
    }
}
