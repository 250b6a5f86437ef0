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
            try await using([kioskA, terminalA, terminalB, auditor]) {
                // Enrolled on A; B's gallery hears of it within a second (NOTIFY, else its poll).
                let customer = try await kioskA.enrol(seed: 1, depositMinor: 10_000)
                try await Task.sleep(for: .seconds(1))
                let onB = try await terminalB.send(
                    .POST, "/v1/payments", body: try await terminalB.paymentBody(customer.person, amountMinor: 100, seed: 2),
                    idempotencyKey: "pay-on-b")
                #expect(onB.status == 201 && onB.json()["status"] as? String == "approved", "\(String(decoding: onB.body, as: UTF8.self))")
                #expect((onB.json()["customer"] as? [String: Any])?["id"] as? String == customer.id)

                // One challenge (issued by A), the same capture sent to A and B at once under two keys:
                // the challenge is consumed once, so at most one payment is approved. (Both can be
                // declined: the one that consumed the challenge may already see the other's frames
                // in the shared replay memory, and a capture sent twice is a replay.)
                let raced = try await terminalA.paymentBody(customer.person, amountMinor: 100, seed: 3)
                async let first = terminalA.send(.POST, "/v1/payments", body: raced, idempotencyKey: "race-a")
                async let second = terminalB.send(.POST, "/v1/payments", body: raced, idempotencyKey: "race-b")
                let racedReplies = try await [first, second]
                let racedApproved = racedReplies.filter { $0.status == 201 && $0.json()["status"] as? String == "approved" }.count
                #expect(racedApproved <= 1, "\(racedReplies.map { String(decoding: $0.body, as: UTF8.self) })")


                // The same key and body sent to A and B at once: one payment, both get its answer.
                let once = try await terminalA.paymentBody(customer.person, amountMinor: 100, seed: 4)
                async let onA1 = terminalA.send(.POST, "/v1/payments", body: once, idempotencyKey: "same-key")
                async let onB1 = terminalB.send(.POST, "/v1/payments", body: once, idempotencyKey: "same-key")
                let sameKey = try await [onA1, onB1]
                let paymentIDs = Set(sameKey.compactMap { $0.json()["payment_id"] as? String })
                #expect(sameKey.allSatisfy { $0.status == 201 || $0.json()["code"] as? String == "idempotency_in_progress" }, "\(sameKey.map(\.status))")
                #expect(sameKey.contains { $0.json()["status"] as? String == "approved" }, "the request itself is not lost to its duplicate")
                #expect(paymentIDs.count == 1)
                // Payments of 100 approved: on B, the raced one (if approved), the one of the shared key.
                let spent = 100 * (2 + racedApproved)
                let available = try await auditor.availableMinor(account: customer.accountID)
                #expect(available == 10_000 - spent, "available \(available.map(String.init) ?? "none"); same key: \(sameKey.map { String(decoding: $0.body, as: UTF8.self) })")

                // Erased on A (the kiosk verifies the face first); B refuses that face at once.
                var random = SeededRandom(seed: 5)
                let (challengeID, actions) = try await kioskA.challenge()
                let face = GenuineCaptureGenerator().capture(
                    of: customer.person, challengeID: challengeID, actions: actions, encoding: .base64,
                    using: &random
                ).capture.faceJSON()
                let erased = try await kioskA.send(
                    .DELETE, "/v1/customers/\(customer.id)/biometrics", body: LiveClient.body("", face: face),
                    idempotencyKey: "erase")
                #expect(erased.status == 204 || erased.status == 200, "\(erased.status) \(String(decoding: erased.body, as: UTF8.self))")
                let afterErasure = try await terminalB.send(
                    .POST, "/v1/payments",
                    body: try await terminalB.paymentBody(customer.person, amountMinor: 100, seed: 6),
                    idempotencyKey: "after-erasure")
                #expect(afterErasure.json()["status"] as? String != "approved", "\(String(decoding: afterErasure.body, as: UTF8.self))")
                #expect(try await auditor.availableMinor(account: customer.accountID) == 10_000 - spent)

                try await cluster.expectChainVerifies()
            }
        }
    }

    @Test("200 payments spread over two nodes against a wallet that affords 37: exactly 37 posted, balance 0, the chain verifies")
    func concurrentPaymentsAcrossNodes() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let terminals = (0..<25).map { "T-CLUSTER-\($0)" }
            try await cluster.issueTerminals(terminals, merchant: "M-CLUSTER")
            let kiosk = try cluster.client("K-DEV-1", node: 0)
            let auditor = try cluster.client("A-DEV-1", node: 0)
            // 25 terminals × 8 payments, each terminal on one node (alternating), all at once.
            let clients = try terminals.enumerated().map { index, id in try cluster.client(id, node: index % 2, connectionsMax: 8) }
            try await using(clients + [kiosk, auditor]) {
                let customer = try await kiosk.enrol(seed: 10, depositMinor: 37 * 250)
                try await Task.sleep(for: .seconds(1))
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
                #expect(
                    replies.filter { $0.1 == "approved" }.count == 37,
                    "\(Dictionary(grouping: replies.map { "\($0.0) \($0.1 ?? "-")" }, by: { $0 }).mapValues(\.count))")
                #expect(try await auditor.availableMinor(account: customer.accountID) == 0)
                try await cluster.expectChainVerifies()
            }
        }
    }

    @Test("SIGKILL of one node under load: every payment it acknowledged is in the ledger once, the other node keeps serving, the chain verifies")
    func nodeKilledUnderLoad() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let terminals = (0..<4).map { "T-KILL-\($0)" }
            try await cluster.issueTerminals(terminals, merchant: "M-KILL")
            let kiosk = try cluster.client("K-DEV-1", node: 1)
            let auditor = try cluster.client("A-DEV-1", node: 1)
            let terminalB = try cluster.client("T-DEV-1", node: 1)
            let onA = try terminals.map { try cluster.client($0, node: 0, connectionsMax: 1) }
            try await using(onA + [kiosk, auditor, terminalB]) {
                let customer = try await kiosk.enrol(seed: 20, depositMinor: 50_000)
                try await Task.sleep(for: .seconds(1))
                let killer = cluster.nodes[0]
                // Four terminals pay on node A one payment after another until it dies; A is killed
                // once a few payments were acknowledged.
                let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                    for (index, client) in onA.enumerated() {
                        group.addTask {
                            var ids: [String] = []
                            for payment in 0..<200 {
                                let seed = UInt64(5_000 + index * 1_000 + payment)
                                guard let body = try? await client.paymentBody(customer.person, amountMinor: 10, seed: seed),
                                    let reply = try? await client.send(.POST, "/v1/payments", body: body, idempotencyKey: "k-\(seed)")
                                else { break }
                                if reply.status == 201, reply.json()["status"] as? String == "approved", let id = reply.json()["payment_id"] as? String {
                                    ids.append(id)
                                }
                            }
                            return ids
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(3))
                        killer.sigkill()
                        return []
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(!acknowledged.isEmpty, "node A acknowledged nothing before it was killed")
                // Every acknowledged payment is in the ledger, once (one payment transfer each).
                for paymentID in acknowledged {
                    let transfers = try await auditor.send(.GET, "/v1/ledger/transfers?payment_id=\(paymentID)")
                    #expect((transfers.json()["transfers"] as? [[String: Any]])?.count == 1, "payment \(paymentID)")
                }
                // The wallet paid exactly what was approved: acknowledged ones and any whose answer was lost.
                let available = try #require(try await auditor.availableMinor(account: customer.accountID))
                #expect((50_000 - available) / 10 >= acknowledged.count)
                // Node B serves on, without a restart.
                let after = try await terminalB.send(
                    .POST, "/v1/payments", body: try await terminalB.paymentBody(customer.person, amountMinor: 10, seed: 99),
                    idempotencyKey: "after-kill")
                #expect(after.status == 201 && after.json()["status"] as? String == "approved", "\(String(decoding: after.body, as: UTF8.self))")
                try await cluster.expectChainVerifies()
            }
        }
    }

    @Test("the database restarted under a running node: the node reconnects and serves again without a restart of its own")
    func databaseRestart() async throws {
        try await OwnPostgresServer.with { server in
            try await PostgresCluster.with(nodes: 1, server: server.url) { cluster in
                let kiosk = try cluster.client("K-DEV-1", node: 0)
                let terminal = try cluster.client("T-DEV-1", node: 0)
                try await using([kiosk, terminal]) {
                    let before = try await kiosk.enrol(seed: 30, depositMinor: 10_000)
                    try await server.restart()
                    // The pool reconnects on the next lease; a request that raced the restart may fail
                    // (503) and is retried, as a terminal would.
                    var paid: LiveClient.Reply?
                    for attempt in 0..<60 {
                        if let body = try? await terminal.paymentBody(before.person, amountMinor: 100, seed: UInt64(300 + attempt)),
                            let reply = try? await terminal.send(.POST, "/v1/payments", body: body, idempotencyKey: "after-restart-\(attempt)"),
                            reply.status == 201
                        {
                            paid = reply
                            break
                        }
                        try await Task.sleep(for: .milliseconds(500))
                    }
                    #expect(paid?.json()["status"] as? String == "approved", "\(paid.map { String(decoding: $0.body, as: UTF8.self) } ?? "no answer")")
                    // And it enrols again: its writes reach the restarted database.
                    let after = try await kiosk.enrol(seed: 31, depositMinor: 10_000)
                    #expect(after.id != before.id)
                    #expect(cluster.nodes[0].isRunning)
                    try await cluster.expectChainVerifies()
                }
            }
        }
    }

    @Test("a liveness lockout holds on every node: failures sent to A and to B add up, and both refuse the terminal")
    func lockoutAcrossNodes() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let onA = try cluster.client("T-DEV-1", node: 0)
            let onB = try cluster.client("T-DEV-1", node: 1)
            try await using([onA, onB]) {
                var random = SeededRandom(seed: 40)
                let victim = SyntheticPerson(model: .sim128, using: &random)
                // Five printed photos (the lockout's bound): three on A, two on B.
                for (index, client) in [onA, onB, onA, onB, onA].enumerated() {
                    let (challengeID, _) = try await client.challenge()
                    let face = AttackCaptureGenerator().printedPhoto(of: victim, challengeID: challengeID, encoding: .base64, using: &random).faceJSON()
                    let reply = try await client.send(
                        .POST, "/v1/payments", body: LiveClient.body(#""amount":100,"currency":"EUR""#, face: face),
                        idempotencyKey: "photo-\(index)")
                    #expect(reply.json()["decline_code"] as? String == "liveness_failed", "\(String(decoding: reply.body, as: UTF8.self))")
                    // Margin for the other node's follower (woken by NOTIFY at the commit).
                    try await Task.sleep(for: .milliseconds(500))
                }
                // B saw two of them itself: it refuses because it counts A's three as well.
                for client in [onB, onA] {
                    var code: String?
                    do {
                        let (challengeID, actions) = try await client.challenge()
                        let face = GenuineCaptureGenerator().capture(
                            of: victim, challengeID: challengeID, actions: actions, encoding: .base64,
                            using: &random
                        ).capture.faceJSON()
                        let reply = try await client.send(
                            .POST, "/v1/payments", body: LiveClient.body(#""amount":100,"currency":"EUR""#, face: face),
                            idempotencyKey: "after-lockout-\(client === onA)")
                        code = reply.json()["code"] as? String
                    } catch let error as LiveSimulationError {
                        code = error.code
                    }
                    #expect(code?.hasSuffix("device_locked") == true, "got \(code ?? "no code")")
                }
            }
        }
    }
    @Test("keys rotate on the shared database while two nodes run: every template re-sealed, the nodes keep paying, status names one key")
    func keyRotationAcrossNodes() async throws {
        try await PostgresCluster.with(nodes: 2) { cluster in
            let kioskA = try cluster.client("K-DEV-1", node: 0)
            let kioskB = try cluster.client("K-DEV-1", node: 1)
            let terminalA = try cluster.client("T-DEV-1", node: 0)
            let terminalB = try cluster.client("T-DEV-1", node: 1)
            try await using([kioskA, kioskB, terminalA, terminalB]) {
                let before = try await kioskA.enrol(seed: 61, depositMinor: 1_000)
                // The nodes share node 0's key file (one secret on every node: Deploy/cluster/RUNBOOK.md).
                let rotated = try await cluster.binary.run(["keys", "rotate", "--data-dir", cluster.directory(0).path,
                                                            "--database", cluster.databaseURL], in: cluster.root)
                #expect(rotated.status == 0, "\(rotated.stdout + rotated.stderr)")
                #expect(rotated.stdout.contains("re-sealed 1 templates"), "\(rotated.stdout)")
                // B seals its next enrolment under the new key; A's gallery hears of it.
                let after = try await kioskB.enrol(seed: 62, depositMinor: 1_000)
                try await Task.sleep(for: .seconds(1))
                for (index, (client, customer)) in [(terminalB, before), (terminalA, after)].enumerated() {
                    let reply = try await client.send(
                        .POST, "/v1/payments", body: try await client.paymentBody(customer.person, amountMinor: 100, seed: 63 + UInt64(index)),
                        idempotencyKey: "after-rotation-\(index)")
                    #expect(reply.json()["status"] as? String == "approved", "\(String(decoding: reply.body, as: UTF8.self))")
                }
                let status = try await cluster.binary.run(["keys", "status", "--data-dir", cluster.directory(0).path,
                                                           "--database", cluster.databaseURL], in: cluster.root)
                #expect(status.status == 0, "\(status.stderr)")
                let newKey = try #require(rotated.stdout.split(separator: " ").dropFirst(2).first)
                #expect(status.stdout.contains("key ids in use: \(newKey)\n"), "\(status.stdout)")
                #expect(status.stdout.contains("undecryptable templates: none"), "\(status.stdout)")
                // The rotation is in the log, by the operator, naming the new key.
                let auditor = try cluster.client("A-DEV-1", node: 1)
                try await using([auditor]) {
                    let events = try await auditor.send(.GET, "/v1/audit/events?action=template_key.rotated").json()["events"] as? [[String: Any]]
                    #expect(events?.map { $0["subject"] as? String } == [String(newKey)] && events?.first?["actor"] as? String == "operator")
                }
                try await cluster.expectChainVerifies()
            }
        }
    }
}
