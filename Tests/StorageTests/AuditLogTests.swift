import Crypto
import FacePayCore
import Foundation
import GRDB
import Ledger
import Storage
import Stores
import Testing

@Suite struct AuditLogTests {
    @Test func canonicalJSONIsTheDocumentedForm() {
        let value: CanonicalJSON = ["b": 2, "a": "x\"y\\z\n\u{01}é", "c": [true, nil, -3], "A": ["z": 1, "y": "2"]]
        #expect(value.text == #"{"A":{"y":"2","z":1},"a":"x\"y\\z\n\u0001é","b":2,"c":[true,null,-3]}"#)
    }

    @Test func theChainStartsAtZerosAndLinksEachEvent() throws {
        let test = try TestDatabase()
        _ = try test.wallet(balanceMinor: 100)
        let events = try test.database.auditEvents(AuditEventQuery(limit: 100)).events
        #expect(events.count >= 3)
        #expect(events[0].seq == 1)
        #expect(events[0].prevHash == String(repeating: "0", count: 64))
        for (previous, event) in zip(events, events.dropFirst()) {
            #expect(event.seq == previous.seq + 1)
            #expect(event.prevHash == previous.hash)
        }
        // The documented recipe, recomputed independently.
        let event = events[1]
        let canonical = #"{"action":"\#(event.action)","actor":"\#(event.actor)","detail":\#(event.detail),"event_id":"\#(event.eventID)","seq":\#(event.seq),"subject":"\#(event.subject)","time":"\#(event.time)"}"#
        #expect(event.canonicalForm == canonical)
        let digest = SHA256.hash(data: Data((event.prevHash + canonical).utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(digest == event.hash)
        #expect(try test.database.auditHead() == AuditHead(seq: events.last!.seq, hash: events.last!.hash))
    }

    @Test func readersPageByCursorAndFilterByAction() throws {
        let test = try TestDatabase()
        for _ in 0..<3 { _ = try test.wallet(balanceMinor: 100) }
        let created = try test.database.auditEvents(AuditEventQuery(action: "account.created", limit: 2))
        #expect(created.events.count == 2)
        let rest = try test.database.auditEvents(AuditEventQuery(action: "account.created", afterSeq: created.nextCursor, limit: 2))
        // three wallets and one funding account
        #expect(rest.events.count == 2)
        #expect(rest.nextCursor == nil)
        #expect(try test.database.auditEvents(AuditEventQuery(since: Date().addingTimeInterval(3600))).events.isEmpty)
    }

    @Test func biometricLookingDetailIsRecognised() {
        #expect(AuditChain.biometricViolation(in: ["amount": 5, "decision": "accept"]) == nil)
        #expect(AuditChain.biometricViolation(in: ["embedding": [1, 2]]) != nil)
        #expect(AuditChain.biometricViolation(in: ["probe": ["template_b64": "AAAA"]]) != nil)
        #expect(AuditChain.biometricViolation(in: ["values": .array((0..<9).map { .integer($0) })]) != nil)
    }
}
