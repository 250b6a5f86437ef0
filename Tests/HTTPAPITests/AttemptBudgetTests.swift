import FacePayCore
import Foundation
import Payments
import Simulator
import Testing

@Suite("attempt budgets: failed matches lock a device and step up a bucket, across a restart")
struct AttemptBudgetTests {
    static func settings() -> PaymentsSettings {
        var settings = PaymentsSettings()
        settings.attemptBudgets.deviceMatchFailuresMax = 3
        settings.attemptBudgets.targetFailuresMax = 2
        return settings
    }

    @Test("strangers who type a customer's last four step the bucket up (hint_required for everyone) and lock their terminal; both hold after a restart")
    func budgetsHoldAcrossRestart() async throws {
        let directory = try PersistentDataDirectory.make()
        defer { directory.remove() }
        let seed = PaymentStoryTests.seed()
        try await directory.withServer(paymentsSettings: Self.settings()) { server, _, _ in
            let (terminal, otherTerminal, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: seed)
            let jane = shoppers.person()
            _ = try await shoppers.enrol(jane, kiosk: kiosk, phone: "+4915112345678")
            // Two strangers claim Jane's last four from one terminal: two failed matches at her bucket.
            for _ in 0..<2 {
                let stranger = shoppers.person()
                let reply = try await shoppers.pay(stranger, terminal: terminal, amount: 100, extra: #""hint":{"phone_last4":"5678"}"#)
                #expect(try reply.json()["decline_code"] as? String == "no_match")
            }
            // The bucket is stepped up, for every device and even for Jane.
            let jane1 = try await shoppers.pay(jane, terminal: otherTerminal, amount: 100, extra: #""hint":{"phone_last4":"5678"}"#)
            #expect(try jane1.json()["decline_code"] as? String == "hint_required")
            // A third failed match (another bucket) exhausts the terminal's budget: locked.
            let third = try await shoppers.pay(shoppers.person(), terminal: terminal, amount: 100, extra: #""hint":{"phone_last4":"0001"}"#)
            #expect(try third.json()["decline_code"] as? String == "no_match")
            let locked = try await terminal.send(.POST, "/v1/challenges")
            #expect(locked.status == 429)
            #expect((try locked.json()["detail"] as? String)?.contains("failed matches") == true)

            let steppedUp = try await auditor.send(.GET, "/v1/audit/events?action=attempts.stepped_up").json()["events"] as? [[String: Any]]
            #expect(steppedUp?.map { $0["subject"] as? String } == ["hint_bucket:5678"])
            let deviceLocks = try await auditor.send(.GET, "/v1/audit/events?action=device.locked").json()["events"] as? [[String: Any]]
            #expect(deviceLocks?.count == 1)
            #expect((deviceLocks?.first?["detail"] as? String)?.contains("match_failures") == true)
            let metrics = server.metrics.exposition()
            #expect(metrics.contains(#"facepay_attempt_budget_locks_total{budget="hint_bucket"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"facepay_attempt_budget_locks_total{budget="device_match"} 1"#))
        }
        // A restart (a crash or a deploy) lifts nothing.
        try await directory.withServer(paymentsSettings: Self.settings()) { server, _, _ in
            let terminal = try server.client(certificateFor: "T-1", role: "terminal")
            let otherTerminal = try server.client(certificateFor: "T-2", role: "terminal")
            #expect(try await terminal.send(.POST, "/v1/challenges").status == 429)
            var shoppers = Shoppers(server: server, seed: seed)
            let jane = shoppers.person()
            // Fresh captures, not the first server's (those would be replays).
            for _ in 0..<8 { _ = shoppers.person() }
            let reply = try await shoppers.pay(jane, terminal: otherTerminal, amount: 100, extra: #""hint":{"phone_last4":"5678"}"#)
            #expect(try reply.json()["decline_code"] as? String == "hint_required", "\(String(decoding: reply.body, as: UTF8.self))")
            // After the cooling-off period the bucket serves again.
            server.clock.advance(seconds: 1_801)
            let later = try await shoppers.pay(jane, terminal: otherTerminal, amount: 100, extra: #""hint":{"phone_last4":"5678"}"#)
            #expect(try later.json()["status"] as? String == "approved")
        }
    }

    @Test("failed 1:1 verifications claiming one customer step that customer up")
    func customerStepUp() async throws {
        try await TestServer.with(paymentsSettings: Self.settings()) { server in
            let (terminal, otherTerminal, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let (customerID, _) = try await shoppers.enrol(jane, kiosk: kiosk)
            for client in [terminal, otherTerminal] {
                let face = try await shoppers.face(of: shoppers.person(), for: client)
                let reply = try await client.send(.POST, "/v1/verifications", body: Shoppers.body(#""customer_id":"\#(customerID)""#, face: face)).json()
                #expect(reply["failure_code"] as? String == "no_match")
            }
            let face = try await shoppers.face(of: jane, for: otherTerminal)
            let reply = try await otherTerminal.send(.POST, "/v1/verifications", body: Shoppers.body(#""customer_id":"\#(customerID)""#, face: face)).json()
            #expect(reply["verified"] as? Bool == false)
            #expect(reply["failure_code"] as? String == "hint_required")
        }
    }
}
