import FacePayCore
import Logging
import Payments
import Foundation
@testable import HTTPAPI
@testable import Storage
import Stores
import Testing

/// Receipts over the API: signed checkpoints, the signing keys, Merkle proofs, for auditors only.
@Suite("audit receipts over mutual TLS")
struct ReceiptTests {
    static func checkpoint(_ client: TestClient) async throws -> AuditCheckpoint {
        let reply = try await client.send(.GET, "/v1/audit/checkpoint")
        try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(AuditCheckpoint.receipt(reply.body))
    }

    static func bytes(_ hex: String?) throws -> Data {
        let text = try #require(hex)
        return Data(try #require(Hex.data(text)))
    }

    static func hashes(_ value: Any?) throws -> [Data] {
        try #require(value as? [String]).map { try bytes($0) }
    }

    @Test("a checkpoint is signed by the served key over the audit head; a proof from a kept checkpoint and an event's inclusion proof verify")
    func checkpointAndProofs() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)

            let keys = try #require(try await auditor.send(.GET, "/v1/audit/keys").json()["keys"] as? [[String: Any]])
            try #require(keys.count == 1 && keys[0]["current"] as? Bool == true)
            let publicKey = try #require(keys[0]["public_key"] as? String)
            let key = AuditPublicKey(id: try #require(keys[0]["key_id"] as? String), bytes: try #require(Data(base64Encoded: publicKey)))
            let kept = try await Self.checkpoint(auditor)
            #expect(kept.isSigned(by: key))
            let head = try await auditor.send(.GET, "/v1/audit/head").json()
            let headSeq = try #require(head["seq"] as? Int)
            #expect(kept.treeSize == Int64(headSeq))
            #expect(kept.headHash == head["hash"] as? String)

            // More happens; the auditor asks for a proof from the checkpoint they kept.
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor, reference: "order-2")
            let reply = try await auditor.send(.GET, "/v1/audit/proof?from=\(kept.treeSize)&event=3")
            try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            let proof = try reply.json()
            let freshObject = try #require(proof["checkpoint"])
            let fresh = try #require(AuditCheckpoint.receipt(try JSONSerialization.data(withJSONObject: freshObject)))
            #expect(fresh.isSigned(by: key) && fresh.treeSize > kept.treeSize)
            let consistency = try #require(proof["consistency"] as? [String: Any])
            let consistencyProof = try Self.hashes(consistency["hashes"])
            #expect(AuditMerkleTree.verifyConsistency(oldSize: kept.treeSize, oldRoot: try Self.bytes(kept.rootHash), newSize: fresh.treeSize,
                                                      newRoot: try Self.bytes(fresh.rootHash), proof: consistencyProof))
            let inclusion = try #require(proof["inclusion"] as? [String: Any])
            let events = try #require(try await auditor.send(.GET, "/v1/audit/events?limit=3").json()["events"] as? [[String: Any]])
            let eventHash = try #require(events[2]["hash"] as? String)
            #expect(inclusion["event_hash"] as? String == eventHash)
            let leaf = AuditMerkleTree.leafHash(eventHash: try Self.bytes(eventHash))
            let inclusionProof = try Self.hashes(inclusion["hashes"])
            let root = try Self.bytes(fresh.rootHash)
            #expect(AuditMerkleTree.verifyInclusion(leaf: leaf, index: 2, size: fresh.treeSize, proof: inclusionProof, root: root))

            // The console shows a checkpoint with a link to save one.
            let page = try await ConsoleTests.get(auditor, "/console")
            #expect(page.link(id: "save-receipt") == "/v1/audit/checkpoint")
            #expect(page.html.contains(#"<code id="checkpoint-size">"#))
        }
    }

    @Test("a running server signs no checkpoint of a log rewritten under it, even with every later hash recomputed")
    func noSignatureOverARewrite() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            _ = try await Self.checkpoint(auditor)
            // The insider rewrites event 2's actor and recomputes every later hash and link.
            try await server.database.pool.write { db in
                try db.execute(sql: "DROP TRIGGER audit_events_no_update")
                let events = try AuditLog.events(db, AuditEventQuery(limit: 1_000)).events
                var previous = events[0].hash
                for event in events.dropFirst() {
                    let rewritten = AuditEvent(seq: event.seq, eventID: event.eventID, time: event.time,
                                               actor: event.seq == 2 ? "operator" : event.actor, action: event.action,
                                               subject: event.subject, detail: event.detail, prevHash: previous, hash: "")
                    let hash = AuditChain.hash(prevHash: previous, canonicalForm: rewritten.canonicalForm)
                    try db.execute(sql: "UPDATE audit_events SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                                   arguments: [rewritten.actor, previous, hash, event.seq])
                    previous = hash
                }
            }
            let refused = try await auditor.send(.GET, "/v1/audit/checkpoint")
            #expect(refused.status == 503)
            #expect(try refused.json()["code"] as? String == "audit_log_inconsistent")
            #expect(try await auditor.send(.GET, "/v1/audit/proof?from=1").status == 503)
        }
    }

    @Test("bad proof parameters are 400 with a stable code; terminals and kiosks get 403")
    func refusals() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            for (query, code) in [("", "proof_unspecified"), ("from=99999999", "proof_from_out_of_range"),
                                  ("event=0", "proof_event_out_of_range"), ("event=99999999", "proof_event_out_of_range")] {
                let reply = try await auditor.send(.GET, "/v1/audit/proof?\(query)")
                #expect(reply.status == 400, "\(query)")
                #expect(try reply.json()["code"] as? String == code, "\(query)")
            }
            for query in ["from=-1", "from=1e3", "from=99999999999999999999", "event=%00", "from=%2B1"] {
                #expect(try await auditor.send(.GET, "/v1/audit/proof?\(query)").status == 400, "\(query)")
            }
            for client in [terminal, kiosk] {
                for path in ["/v1/audit/checkpoint", "/v1/audit/keys", "/v1/audit/proof?from=1"] {
                    #expect(try await client.send(.GET, path).status == 403, "\(path)")
                }
            }
        }
    }
}

@Suite("audit witness")
struct AuditWitnessTests {
    @Test("each periodic checkpoint is appended to the witness file as one JSON line, only when the log has grown")
    func witnessFile() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor)
            let keyPath = server.directory.appendingPathComponent("witness-signing.key").path
            let receipts = AuditReceipts(tree: server.database, reader: server.database,
                                         keys: try AuditSigningKeySource(path: keyPath, createIfMissing: true))
            let file = server.directory.appendingPathComponent("witness.jsonl")
            let witness = AuditWitnessService(receipts: receipts, settings: .init(interval: .seconds(60), filePath: file.path),
                                              logger: Logger(label: "test"))
            let first = try #require(try await witness.witness(unlessSizeIs: nil))
            #expect(try await witness.witness(unlessSizeIs: first.treeSize) == nil, "an idle log is not witnessed again")
            try await ConsoleTests.workload(server, terminal: terminal, kiosk: kiosk, auditor: auditor, reference: "order-2")
            let second = try #require(try await witness.witness(unlessSizeIs: first.treeSize))
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.map { AuditCheckpoint.receipt(Data($0.utf8)) } == [first, second])
            #expect(second.isSigned(by: receipts.publicKeys[0]))
        }
    }
}
