import AsyncHTTPClient
import FacePayCore
import Foundation
import Storage
import Stores
import Testing

/// The listener's bounds: what a client that holds connections without using them, or drips a
/// body, can and cannot do to everyone else. Timeouts are set short here so that the test waits
/// seconds, not minutes; nothing asserts how fast anything was.
@Suite("Connection bounds: idle, slow-drip, handshake, in-flight, identity before body")
struct ConnectionBoundsTests {
    static func shortTimeouts(_ limits: inout Limits) {
        limits.tlsHandshakeTimeoutSeconds = 3
        limits.requestReadTimeoutSeconds = 3
        limits.idleTimeoutSeconds = 3
    }

    static let dripHead = "POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Idempotency-Key: drip\r\nContent-Length: 100000\r\n\r\n{"

    @Test("hundreds of idle sockets and dozens of slow drips: an honest terminal is served, and the server cuts them off")
    func idleAndSlowDrip() async throws {
        try await TestServer.with(limits: Self.shortTimeouts) { server in
            let honest = try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")
            let dripCertificate = try server.authority.issueDeviceCertificate(deviceID: "T-DRIP", role: "terminal")
            try server.database.addDevice(Device(id: "T-DRIP", role: .terminal, merchantID: "M-1", createdAt: Date()))

            // 300 TCP connections that never start TLS, and 30 TLS ones that drip a body.
            var idle: [RawConnection] = []
            for _ in 0..<300 { idle.append(try await RawConnection.connect(port: server.apiPort)) }
            var drips: [RawConnection] = []
            for _ in 0..<30 {
                drips.append(try await RawConnection.connect(port: server.apiPort, tlsTrusting: server.authority,
                                                             certificate: dripCertificate, sendOnConnect: Self.dripHead))
            }
            // The honest terminal is served while they are all held open (and dripping).
            for round in 0..<3 {
                for drip in drips where drip.isOpen { try? await drip.write(" ") }
                let me = try await honest.send(.GET, "/v1/me")
                #expect(me.status == 200, "round \(round)")
                #expect(try await honest.send(.POST, "/v1/challenges").status == 201, "round \(round)")
                try await Task.sleep(for: .milliseconds(300))
            }
            // Dripping a byte now and then does not keep a request alive past its read deadline,
            // and sockets that never handshake are cut off too.
            for drip in drips {
                for _ in 0..<40 where drip.isOpen {
                    try? await drip.write(" ")
                    try await Task.sleep(for: .milliseconds(250))
                }
                #expect(try await drip.waitForClose(timeout: .seconds(30)), "a slow drip was never cut off")
            }
            for connection in idle {
                #expect(try await connection.waitForClose(timeout: .seconds(30)), "an idle socket was never closed")
            }
            let metrics = server.metrics.exposition()
            #expect(metrics.contains(#"facepay_connections_cut_total{deadline="tls_handshake"} 300"#), "\(metrics)")
            #expect(metrics.contains(#"facepay_connections_cut_total{deadline="request_read"} 30"#), "\(metrics)")
            // And the server still serves.
            #expect(try await honest.send(.GET, "/v1/me").status == 200)
        }
    }

    @Test("a keep-alive connection left idle after a request is closed after the idle timeout")
    func keepAliveIdleTimeout() async throws {
        try await TestServer.with(limits: Self.shortTimeouts) { server in
            let certificate = try server.authority.issueDeviceCertificate(deviceID: "T-1", role: "terminal")
            try server.database.addDevice(Device(id: "T-1", role: .terminal, merchantID: "M-1", createdAt: Date()))
            let connection = try await RawConnection.connect(port: server.apiPort, tlsTrusting: server.authority, certificate: certificate,
                                                             sendOnConnect: "GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await connection.waitFor("\"device_id\":\"T-1\""))
            // A keep-alive answer (no Connection: close), and yet the server closes the connection
            // once it has been idle for the timeout.
            #expect(!connection.text.lowercased().contains("connection: close"))
            #expect(try await connection.waitForClose(timeout: .seconds(60)), "an idle keep-alive connection was never closed")
        }
    }

    @Test("an unknown or revoked device is refused on its headers, before its body is sent")
    func identityBeforeBody() async throws {
        try await TestServer.with { server in
            try server.database.addDevice(Device(id: "T-GONE", role: .terminal, merchantID: "M-1", createdAt: Date()))
            try server.database.revokeDevice(id: "T-GONE", now: Date())
            for (deviceID, code) in [("T-GONE", "device_revoked"), ("T-NEVER", "unknown_device")] {
                let certificate = try server.authority.issueDeviceCertificate(deviceID: deviceID, role: "terminal")
                    // A megabyte is announced and none of it sent: the answer must come anyway.
                let head = "POST /v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Idempotency-Key: k\r\nContent-Length: 1048000\r\n\r\n"
                let connection = try await RawConnection.connect(port: server.apiPort, tlsTrusting: server.authority, certificate: certificate,
                                                                 sendOnConnect: head)
                #expect(try await connection.waitFor("\"code\":\"\(code)\""), "\(deviceID): \(connection.text)")
                #expect(connection.text.hasPrefix("HTTP/1.1 403"), "\(deviceID): \(connection.text)")
                await connection.close()
            }
        }
    }

    @Test("past the in-flight bound a request gets 503 overloaded with Retry-After at once, and the next one is served")
    func inFlightBound() async throws {
        try await TestServer.with(limits: { $0.inFlightRequestsMax = 1; $0.requestReadTimeoutSeconds = 60 }) { server in
            let honest = try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")
            let certificate = try server.authority.issueDeviceCertificate(deviceID: "T-HOLD", role: "terminal")
            try server.database.addDevice(Device(id: "T-HOLD", role: .terminal, merchantID: "M-1", createdAt: Date()))
            // One request holds the only slot while its body is still on the way.
            let holder = try await RawConnection.connect(port: server.apiPort, tlsTrusting: server.authority, certificate: certificate,
                                                         sendOnConnect: Self.dripHead)
            var overloaded: TestClient.Reply?
            for _ in 0..<100 {
                let reply = try await honest.send(.GET, "/v1/me")
                if reply.status == 503 { overloaded = reply; break }
                try await Task.sleep(for: .milliseconds(50))   // the holder's head may not be read yet
            }
            let reply = try #require(overloaded, "never refused while the slot was held")
            #expect(reply.contentType == "application/problem+json")
            #expect(try reply.json()["code"] as? String == "overloaded")
            #expect(reply.retryAfter == "1")
            await holder.close()
            var served = false
            for _ in 0..<100 where !served {
                served = try await honest.send(.GET, "/v1/me").status == 200
                if !served { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(served, "the slot was never given back")
        }
    }
}
