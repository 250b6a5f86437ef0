import FacePayCore
import Foundation
import Liveness
import Simulator
import Testing

@Suite("payments end to end over mutual TLS")
struct PaymentStoryTests {
    static func seed() -> UInt64 {
        ProcessInfo.processInfo.environment["FACEPAY_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
    }

    @Test("enrol → deposit → pay → partial refund; the auditor lists each transfer, the CSV matches, verify is ok")
    func wholeStory() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: Self.seed())
            let jane = shoppers.person()
            let (customerID, accountID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 5000)

            let deposit = try await kiosk.send(.POST, "/v1/customers/\(customerID)/deposits",
                                               body: Data(#"{"amount": 1000, "currency": "EUR"}"#.utf8), headers: [("Idempotency-Key", "dep-1")])
            #expect(deposit.status == 201)
            #expect(try deposit.json()["balance"] as? Int == 6000)

            let paid = try await shoppers.pay(jane, terminal: terminal, amount: 1250, extra: #""reference":"order-77""#)
            #expect(paid.status == 201)
            let payment = try paid.json()
            #expect(payment["status"] as? String == "approved")
            #expect((payment["customer"] as? [String: Any])?["id"] as? String == customerID)
            #expect((payment["customer"] as? [String: Any])?["display_name"] as? String == "J. D.")
            #expect((payment["liveness"] as? [String: Any])?["passed"] as? Bool == true)
            #expect((payment["match"] as? [String: Any])?["score"] is Double)
            let paymentID = try #require(payment["payment_id"] as? String)

            let refund = try await terminal.send(.POST, "/v1/payments/\(paymentID)/refunds", body: Data(#"{"amount": 250}"#.utf8),
                                                 headers: [("Idempotency-Key", "rf-1")])
            #expect(refund.status == 201, "\(String(decoding: refund.body, as: UTF8.self))")
            let tooMuch = try await terminal.send(.POST, "/v1/payments/\(paymentID)/refunds", body: Data(#"{"amount": 1001}"#.utf8),
                                                  headers: [("Idempotency-Key", "rf-2")])
            #expect(tooMuch.status == 422)
            #expect(try tooMuch.json()["code"] as? String == "refund_exceeds_captured")

            let account = try await auditor.send(.GET, "/v1/ledger/accounts/\(accountID)").json()
            let balances = try #require(account["balances"] as? [String: Any])
            #expect(balances["available"] as? Int == 5000 + 1000 - 1250 + 250)

            let listed = try await auditor.send(.GET, "/v1/ledger/transfers?account_id=\(accountID)").json()
            let transfers = try #require(listed["transfers"] as? [[String: Any]])
            #expect(transfers.map { $0["kind"] as? String } == ["deposit", "deposit", "payment", "refund"])
            let csv = String(decoding: try await auditor.send(.GET, "/v1/ledger/transfers.csv?account_id=\(accountID)").body, as: UTF8.self)
            let rows = csv.split(separator: "\r\n").dropFirst()
            #expect(rows.map { String($0.split(separator: ",")[0]) } == transfers.map { $0["transfer_id"] as? String ?? "" })

            let verify = try await auditor.send(.GET, "/v1/audit/verify").json()
            #expect(verify["ok"] as? Bool == true)
            #expect(verify["transfers_checked"] as? Int == 4)
            let events = try await auditor.send(.GET, "/v1/audit/events?action=payment.approved").json()
            #expect((events["events"] as? [[String: Any]])?.count == 1)
            let head = try await auditor.send(.GET, "/v1/audit/head").json()
            #expect((head["hash"] as? String)?.count == 64)
        }
    }

    @Test("idempotency: the same key and body answer the first response again; another body conflicts")
    func idempotentPayment() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: Self.seed())
            let jane = shoppers.person()
            let (_, accountID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 5000)
            let face = try await shoppers.face(of: jane, for: terminal)
            let body = Shoppers.body(#""amount":700,"currency":"EUR""#, face: face)
            let first = try await terminal.send(.POST, "/v1/payments", body: body, headers: [("Idempotency-Key", "pay-1")])
            let again = try await terminal.send(.POST, "/v1/payments", body: body, headers: [("Idempotency-Key", "pay-1")])
            #expect(first.status == 201 && again.status == 201)
            #expect(try first.json()["status"] as? String == "approved", "\(String(decoding: first.body, as: UTF8.self))")
            #expect(first.body == again.body)
            let different = Shoppers.body(#""amount":701,"currency":"EUR""#, face: face)
            let conflict = try await terminal.send(.POST, "/v1/payments", body: different, headers: [("Idempotency-Key", "pay-1")])
            #expect(conflict.status == 409)
            #expect(try conflict.json()["code"] as? String == "idempotency_conflict")
            let balance = try await auditor.send(.GET, "/v1/ledger/accounts/\(accountID)").json()["balances"] as? [String: Any]
            #expect(balance?["available"] as? Int == 4300, "charged once")
            let missingKey = try await terminal.send(.POST, "/v1/payments", body: body)
            #expect(missingKey.status == 400)
        }
    }

    @Test("a never-enrolled face is declined; a capture cannot pay twice; another terminal's challenge is refused")
    func declines() async throws {
        try await TestServer.with { server in
            let (terminal, other, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: Self.seed())
            let jane = shoppers.person()
            _ = try await shoppers.enrol(jane, kiosk: kiosk)
            let stranger = shoppers.person()

            let declined = try await shoppers.pay(stranger, terminal: terminal, amount: 100).json()
            #expect(declined["status"] as? String == "declined")
            #expect(declined["decline_code"] as? String == "no_match")
            #expect(declined["customer"] == nil)

            // The same capture again, with the same challenge and then under a fresh one.
            let face = try await shoppers.face(of: jane, for: terminal)
            let body = Shoppers.body(#""amount":100,"currency":"EUR""#, face: face)
            let first = try await terminal.send(.POST, "/v1/payments", body: body, headers: [("Idempotency-Key", "a")]).json()
            #expect(first["status"] as? String == "approved")
            let replay = try await terminal.send(.POST, "/v1/payments", body: body, headers: [("Idempotency-Key", "b")]).json()
            #expect(replay["decline_code"] as? String == "liveness_failed")
            let replayChecks = (replay["liveness"] as? [String: Any])?["failed_checks"] as? [String] ?? []
            #expect(replayChecks == ["challenge_used"])

            // Another terminal of the merchant got the capture: re-timed for a fresh challenge with
            // other actions and nudged per component, it is still the same frames, at every size.
            let sameMerchant = try server.registerDevice("T-3", role: .terminal, merchantID: "M-1")
            let kept = SimulatedCapture(evidence: try JSONDecoder().decode(FaceEvidence.self, from: Data(face)))
            for (index, sigma) in AttackCaptureGenerator.nudges.enumerated() {
                let fresh = try await shoppers.challenge(sameMerchant)
                let nudged = AttackCaptureGenerator().nudgedReplay(of: kept, challengeID: fresh.id, actions: fresh.actions, noiseSigma: sigma,
                                                                   encoding: .base64, using: &shoppers.random)
                let reply = try await sameMerchant.send(.POST, "/v1/payments", body: Shoppers.body(#""amount":100,"currency":"EUR""#, face: nudged.faceJSON()),
                                                        headers: [("Idempotency-Key", "n\(index)")]).json()
                #expect(reply["decline_code"] as? String == "liveness_failed", "nudge \(sigma)")
                #expect((reply["liveness"] as? [String: Any])?["failed_checks"] as? [String] == ["frame_replayed"], "nudge \(sigma)")
            }
            // Jane herself, paying again with a fresh capture, is approved.
            #expect(try await shoppers.pay(jane, terminal: sameMerchant, amount: 100).json()["status"] as? String == "approved")

            // A capture made for T-1's challenge, sent by T-2.
            let stolen = try await shoppers.face(of: jane, for: terminal)
            let otherReply = try await other.send(.POST, "/v1/payments", body: Shoppers.body(#""amount":100,"currency":"EUR""#, face: stolen),
                                                  headers: [("Idempotency-Key", "c")]).json()
            #expect(otherReply["decline_code"] as? String == "liveness_failed")
            let otherChecks = (otherReply["liveness"] as? [String: Any])?["failed_checks"] as? [String] ?? []
            #expect(otherChecks.contains("challenge_other_device"))
        }
    }

    @Test("roles and merchants: a terminal cannot read another merchant's payment, a kiosk cannot pay, an auditor cannot write")
    func boundaries() async throws {
        try await TestServer.with { server in
            let (terminal, other, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: Self.seed())
            let jane = shoppers.person()
            _ = try await shoppers.enrol(jane, kiosk: kiosk)
            let paymentID = try #require(try await shoppers.pay(jane, terminal: terminal, amount: 300).json()["payment_id"] as? String)

            #expect(try await terminal.send(.GET, "/v1/payments/\(paymentID)").status == 200)
            #expect(try await auditor.send(.GET, "/v1/payments/\(paymentID)").status == 200)
            let foreign = try await other.send(.GET, "/v1/payments/\(paymentID)")
            #expect(foreign.status == 404)
            let foreignRefund = try await other.send(.POST, "/v1/payments/\(paymentID)/refunds", body: Data(#"{"amount":1}"#.utf8),
                                                     headers: [("Idempotency-Key", "x")])
            #expect(foreignRefund.status == 404)

            let kioskPays = try await kiosk.send(.POST, "/v1/payments", body: Data("{}".utf8), headers: [("Idempotency-Key", "k")])
            #expect(kioskPays.status == 403)
            #expect(try kioskPays.json()["code"] as? String == "wrong_role")
            for path in ["/v1/payments", "/v1/customers", "/v1/challenges"] {
                let reply = try await auditor.send(.POST, path, body: Data("{}".utf8), headers: [("Idempotency-Key", "w")])
                #expect(reply.status == 403, "auditor POST \(path)")
            }
            #expect(try await terminal.send(.GET, "/v1/audit/verify").status == 403)
        }
    }

    @Test("manual capture: authorize holds the money, capture takes part and releases the rest, void releases all")
    func manualCapture() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: Self.seed())
            let jane = shoppers.person()
            let (_, accountID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 1000)
            func available() async throws -> Int? {
                (try await auditor.send(.GET, "/v1/ledger/accounts/\(accountID)").json()["balances"] as? [String: Any])?["available"] as? Int
            }
            let held = try await shoppers.pay(jane, terminal: terminal, amount: 600, extra: #""capture_method":"manual""#).json()
            #expect(held["status"] as? String == "authorized")
            #expect(try await available() == 400)
            let id = try #require(held["payment_id"] as? String)
            let captured = try await terminal.send(.POST, "/v1/payments/\(id)/capture", body: Data(#"{"amount":450}"#.utf8),
                                                   headers: [("Idempotency-Key", "cap")])
            #expect(captured.status == 200, "\(String(decoding: captured.body, as: UTF8.self))")
            #expect(try captured.json()["amount_captured"] as? Int == 450)
            #expect(try await available() == 550)
            let voidAfter = try await terminal.send(.POST, "/v1/payments/\(id)/void", headers: [("Idempotency-Key", "void")])
            #expect(voidAfter.status == 409)

            let second = try await shoppers.pay(jane, terminal: terminal, amount: 500, extra: #""capture_method":"manual""#).json()
            let secondID = try #require(second["payment_id"] as? String)
            #expect(try await available() == 50)
            #expect(try await terminal.send(.POST, "/v1/payments/\(secondID)/void", headers: [("Idempotency-Key", "void2")]).status == 200)
            #expect(try await available() == 550)
            let tooMuch = try await shoppers.pay(jane, terminal: terminal, amount: 551).json()
            #expect(tooMuch["decline_code"] as? String == "insufficient_funds")
        }
    }
}
