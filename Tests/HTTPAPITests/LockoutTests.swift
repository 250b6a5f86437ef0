import AsyncHTTPClient
import FacePayCore
import Foundation
import Simulator
import Testing

@Suite("device lockout over HTTP")
struct LockoutTests {
    @Test("five liveness failures lock the terminal out of biometric calls (429), audited and counted; it lifts after the lock period")
    func lockout() async throws {
        try await TestServer.with { server in
            let (terminal, other, _, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let mallory = shoppers.person()
            for attempt in 0..<5 {
                // Answers a challenge of this terminal, but as a printed photo would: no blink, flat pose, low PAD.
                let (id, _) = try await shoppers.challenge(terminal)
                let photo = AttackCaptureGenerator().printedPhoto(of: mallory, challengeID: id, encoding: .array, using: &shoppers.random)
                let reply = try await terminal.send(.POST, "/v1/payments", body: Shoppers.body(#""amount":100,"currency":"EUR""#, face: photo.faceJSON()),
                                                    headers: [("Idempotency-Key", "lock-\(attempt)")])
                #expect(try reply.json()["decline_code"] as? String == "liveness_failed")
            }
            let locked = try await terminal.send(.POST, "/v1/challenges")
            #expect(locked.status == 429)
            #expect(try locked.json()["code"] as? String == "device_locked")
            #expect(locked.retryAfter.flatMap(Int.init).map { $0 > 1700 && $0 <= 1800 } == true, "Retry-After: the lock's remaining seconds")
            #expect(try await other.send(.POST, "/v1/challenges").status == 201, "other devices are not locked")

            let events = try await auditor.send(.GET, "/v1/audit/events?action=device.locked").json()["events"] as? [[String: Any]]
            #expect(events?.count == 1)
            #expect(server.metrics.exposition().contains("facepay_device_lockouts_total 1"))

            server.clock.advance(seconds: 1801)
            #expect(try await terminal.send(.POST, "/v1/challenges").status == 201)
        }
    }
}
