import FacePayCore
import Foundation
import Simulator
import Testing

/// Two real `facepay serve` processes on one PostgreSQL database (SCALING.md): what one node
/// does, the other sees — challenges, customers, erasures, idempotency keys, the money.
@Suite("several nodes on one PostgreSQL database", .enabled(if: PostgresCluster.serverURL != nil), .serialized)
struct MultiNodeTests {
    @Test("a challenge of node A, raced on A and B, pays once; enrol on A, pay on B; one key on A and B makes one payment; erase on A, B refuses the face")
    func sharedState() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let kioskA = try cluster.client("K-DEV-1", node: 0)
            let terminalA = try cluster.client("T-DEV-1", node: 0)
            let terminalB = try cluster.client("T-DEV-1", node: 1)
            let auditor = try cluster.client("A-DEV-1", node: 1)
            defer { for client in [kioskA, terminalA, terminalB, auditor] { Task { try? await client.shutdown() } } }

            // Enrolled on A; B's gallery hears of it within a second (NOTIFY, else its poll).
            let customer = try await kioskA.enrol(seed: 1, depositMinor: 10_000)
            try await Task.sleep(for: .seconds(1))
            let onB = try await terminalB.send(.POST, "/v1/payments", body: try await terminalB.paymentBody(customer.person, amountMinor: 100, seed: 2),
                                              idempotencyKey: "pay-on-b")
            #expect(onB.status == 201 && onB.json()["status"] as? String == "approved", "\(String(decoding: onB.body, as: UTF8.self))")
            #expect((onB.json()["customer"] as? [String: Any])?["id"] as? String == customer.id)

            // One challenge (issued by A), the same capture sent to A and B at once under two keys:
            // the challenge is consumed once, so one payment is approved.
            let raced = try await terminalA.paymentBody(customer.person, amountMinor: 100, seed: 3)
            async let first = terminalA.send(.POST, "/v1/payments", body: raced, idempotencyKey: "race-a")
            async let second = terminalB.send(.POST, "/v1/payments", body: raced, idempotencyKey: "race-b")
            let racedReplies = try await [first, second]
            #expect(racedReplies.filter { $0.status == 201 && $0.json()["status"] as? String == "approved" }.count == 1,
                    "\(racedReplies.map { String(decoding: $0.body, as: UTF8.self) })")

            // The same key and body sent to A and B at once: one payment, both get its answer.
            let once = try await terminalA.paymentBody(customer.person, amountMinor: 100, seed: 4)
            async let onA1 = terminalA.send(.POST, "/v1/payments", body: once, idempotencyKey: "same-key")
            async let onB1 = terminalB.send(.POST, "/v1/payments", body: once, idempotencyKey: "same-key")
            let sameKey = try await [onA1, onB1]
            let paymentIDs = Set(sameKey.compactMap { $0.json()["payment_id"] as? String })
            #expect(sameKey.allSatisfy { $0.status == 201 || $0.json()["code"] as? String == "idempotency_in_progress" }, "\(sameKey.map(\.status))")
            #expect(paymentIDs.count == 1)
            // Three payments of 100 approved: on B, the raced one, the one of the shared key.
            #expect(try await auditor.availableMinor(account: customer.accountID) == 10_000 - 300)

            // Erased on A (the kiosk verifies the face first); B refuses that face at once.
            var random = SeededRandom(seed: 5)
            let (challengeID, actions) = try await kioskA.challenge()
            let face = GenuineCaptureGenerator().capture(of: customer.person, challengeID: challengeID, actions: actions, encoding: .base64,
                                                         using: &random).capture.faceJSON()
            let erased = try await kioskA.send(.DELETE, "/v1/customers/\(customer.id)/biometrics", body: LiveClient.body("", face: face),
                                               idempotencyKey: "erase")
            #expect(erased.status == 204 || erased.status == 200, "\(erased.status) \(String(decoding: erased.body, as: UTF8.self))")
            let afterErasure = try await terminalB.send(.POST, "/v1/payments",
                                                        body: try await terminalB.paymentBody(customer.person, amountMinor: 100, seed: 6),
                                                        idempotencyKey: "after-erasure")
            #expect(afterErasure.json()["status"] as? String != "approved", "\(String(decoding: afterErasure.body, as: UTF8.self))")
            #expect(try await auditor.availableMinor(account: customer.accountID) == 10_000 - 300)

            let verified = try await cluster.verify()
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    @Test("200 payments spread over two nodes against a wallet that affords 37: exactly 37 posted, balance 0, the chain verifies")
    func concurrentPaymentsAcrossNodes() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let terminals = (0..<25).map { "T-CLUSTER-\($0)" }
            try await cluster.issueTerminals(terminals, merchant: "M-CLUSTER")
            let kiosk = try cluster.client("K-DEV-1", node: 0)
            let auditor = try cluster.client("A-DEV-1", node: 0)
            let customer = try await kiosk.enrol(seed: 10, depositMinor: 37 * 250)
            try await Task.sleep(for: .seconds(1))
            // 25 terminals × 8 payments, each terminal on one node (alternating), all at once.
            let clients = try terminals.enumerated().map { index, id in try cluster.client(id, node: index % 2, connectionsMax: 8) }
            defer { for client in clients + [kiosk, auditor] { Task { try? await client.shutdown() } } }
            let replies = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for (index, client) in clients.enumerated() {
                    for payment in 0..<8 {
                        group.addTask {
                            let seed = UInt64(1_000 + index * 8 + payment)
                            let body = try await client.paymentBody(customer.person, amountMinor: 250, seed: seed)
                            let reply = try await client.send(.POST, "/v1/payments", body: body, idempotencyKey: "p-\(seed)")
                            return (reply.status, reply.json()["status"] as? String ?? reply.json()["code"] as? String)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.count == 200)
            #expect(replies.filter { $0.1 == "approved" }.count == 37, "\(Dictionary(grouping: replies.map { "\($0.0) \($0.1 ?? "-")" }, by: { $0 }).mapValues(\.count))")
            #expect(try await auditor.availableMinor(account: customer.accountID) == 0)
            let verified = try await cluster.verify()
            #expect(verified.status == 0, "\(verified.output)")
        }
    }
}
