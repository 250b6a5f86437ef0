import FacePayCore
import Foundation
import Testing

@Suite("deposit caps per customer, and the funding account's bound")
struct DepositCapTests {
    @Test("a deposit over the per-deposit or the per-day cap is 422 deposit_limit_exceeded and moves nothing; the next day the wallet takes deposits again")
    func caps() async throws {
        try await TestServer.with { server in
            let (_, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            // Enrolment refuses an initial deposit over the cap before looking at the face.
            let face = try await shoppers.face(of: jane, for: kiosk)
            let tooMuch = try await kiosk.send(.POST, "/v1/customers", body: Shoppers.body(#""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":50001,"currency":"EUR"}"#, face: face), headers: [("Idempotency-Key", "e-1")])
            #expect(tooMuch.status == 422)
            #expect(try tooMuch.json()["code"] as? String == "deposit_limit_exceeded")

            let (customerID, accountID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 40_000)
            func deposit(_ amount: Int64, key: String) async throws -> (Int, String?) {
                let reply = try await kiosk.send(.POST, "/v1/customers/\(customerID)/deposits",
                                                 body: Data(#"{"amount":\#(amount),"currency":"EUR"}"#.utf8), headers: [("Idempotency-Key", key)])
                return (reply.status, try reply.json()["code"] as? String)
            }
            #expect(try await deposit(50_001, key: "d-1") == (422, "deposit_limit_exceeded"))
            #expect(try await deposit(Int64.max, key: "d-2") == (422, "deposit_limit_exceeded"), "no deposit can fill the funding account")
            #expect(try await deposit(50_000, key: "d-3").0 == 201)
            #expect(try await deposit(20_000, key: "d-4") == (422, "deposit_limit_exceeded"), "40,000 + 50,000 + 20,000 is over the day's 100,000")
            #expect(try await deposit(10_000, key: "d-5").0 == 201)
            let account = try await auditor.send(.GET, "/v1/ledger/accounts/\(accountID)").json()
            #expect((account["balances"] as? [String: Any])?["available"] as? Int == 100_000)

            server.clock.advance(seconds: 86_400)
            #expect(try await deposit(50_000, key: "d-6").0 == 201)
        }
    }
}
