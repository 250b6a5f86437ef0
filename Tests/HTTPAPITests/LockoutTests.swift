import AsyncHTTPClient
import FacePayCore
import Foundation
import HTTPAPI
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

    /// Issue 10: a locked device got 429 for requests the server could not even read (an unknown
    /// model, an embedding of the wrong length), so it never learnt what was wrong with them. The
    /// lockout's 429 is for biometric work; a malformed request is a 400 first, whoever sends
    /// it, and counts nothing.
    @Test("a locked terminal still gets 400 for a malformed request (missing Idempotency-Key, unknown model, bad embedding) before 429")
    func malformedBeforeLockout() async throws {
        try await TestServer.with { server in
            let (terminal, _, _, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            try await shoppers.lockOut(terminal)
            let mallory = shoppers.person()
            let photo = AttackCaptureGenerator().printedPhoto(of: mallory, challengeID: "chl_x", encoding: .array, using: &shoppers.random).faceJSON()
            let unknownModel = Array(String(decoding: photo, as: UTF8.self).replacing(#""sim-128""#, with: #""no-such-model""#).utf8)
            let shortEmbedding = Data(#"{"face":{"challenge_id":"chl_x","model":"sim-128","frames":[{"t_ms":0,"embedding":[1,2],"yaw_deg":0,"pitch_deg":0,"eyes_open":1,"pad_score":1}]}}"#.utf8)
            let payment = Shoppers.body(#""amount":100,"currency":"EUR""#, face: photo)

            let cases: [(what: String, path: String, body: Data, key: String?, status: Int, code: String)] = [
                ("payment without Idempotency-Key", "/v1/payments", payment, nil, 400, "invalid_idempotency_key"),
                ("verification with an unknown model", "/v1/verifications", Shoppers.body("", face: unknownModel), nil, 400, "unknown_model"),
                ("payment with an unknown model", "/v1/payments", Shoppers.body(#""amount":100,"currency":"EUR""#, face: unknownModel), "m-1", 400, "unknown_model"),
                ("verification with a 2-value embedding", "/v1/verifications", shortEmbedding, nil, 400, "invalid_embedding"),
                ("well-formed verification", "/v1/verifications", Shoppers.body("", face: photo), nil, 429, "device_locked"),
                ("well-formed payment", "/v1/payments", payment, "m-2", 429, "device_locked"),
            ]
            for (what, path, body, key, status, code) in cases {
                let reply = try await terminal.send(.POST, path, body: body, headers: key.map { [("Idempotency-Key", $0)] } ?? [])
                #expect(reply.status == status, "\(what): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(try reply.json()["code"] as? String == code, "\(what)")
                #expect(reply.contentType == ProblemDetails.mediaType, "\(what)")
            }
            #expect(server.metrics.exposition().contains("facepay_liveness_failures_total 5"),
                    "the refused requests were not liveness attempts")
        }
    }
}
