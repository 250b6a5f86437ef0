import FacePayCore
import Foundation
import Payments
import Simulator
@testable import Storage
import Stores
import Synchronization
import Testing

/// Failures of the template keys stop nothing else: a row that does not decrypt is skipped (and
/// counted), and a rotation done beside a running server leaves nothing under the old key.
@Suite("template key failures and rotation against a live server")
struct TemplateKeyFailureTests {
    @Test("a server whose data holds undecryptable templates starts, serves everyone else and counts them in /metrics")
    func undecryptableTemplateSkipped() async throws {
        let data = try PersistentDataDirectory.make()
        defer { data.remove() }
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = SeededRandom(seed: seed)
        let people = (0..<3).map { _ in SyntheticPerson(model: .sim128, using: &random) }
        let customerIDs = Mutex<[String]>([])

        try await data.withServer { server, report, _ in
            #expect(report.undecryptable.isEmpty)
            _ = try server.registerDevice("T-1", role: .terminal, merchantID: "M-1")
            let kiosk = try server.registerDevice("K-1", role: .kiosk)
            var shoppers = Shoppers(server: server, seed: seed)
            for (index, person) in people.enumerated() {
                let id = try await shoppers.enrol(person, kiosk: kiosk, phone: "+49151000000\(10 + index)").customerID
                customerIDs.withLock { $0.append(id) }
            }
        }
        let ids = customerIDs.withLock { $0 }
        try #require(ids.count == 3)

        // Damage the first customer's row (one byte of the ciphertext) and make the second's
        // name a key that is no longer in the ring (as if it had been removed).
        let database = try AppDatabase.open(path: data.databasePath)
        try await database.pool.write { db in
            var sealed = try #require(try Data.fetchOne(db, sql: "SELECT sealed FROM face_templates WHERE customer_id = ?", arguments: [ids[0]]))
            sealed[sealed.count / 2] ^= 0x01
            try db.execute(sql: "UPDATE face_templates SET sealed = ? WHERE customer_id = ?", arguments: [sealed, ids[0]])
            try db.execute(sql: "UPDATE face_templates SET key_id = 'k-removed' WHERE customer_id = ?", arguments: [ids[1]])
        }

        try await data.withServer { server, report, _ in
            #expect(report.loaded == 1)
            #expect(report.undecryptable.map(\.customerID).sorted() == [ids[0], ids[1]].sorted())
            #expect(Set(report.undecryptable.map(\.reason)) == ["template_corrupt", "template_key_missing"])
            #expect(report.undecryptable.first { $0.customerID == ids[1] }?.keyID == "k-removed")
            #expect(server.metrics.exposition().contains("facepay_templates_undecryptable 2.0\n"))

            let terminal = try server.client(certificateFor: "T-1", role: "terminal")
            var shoppers = Shoppers(server: server, seed: seed)
            let paid = try await shoppers.pay(people[2], terminal: terminal, amount: 700)
            #expect(paid.status == 201)
            let payment = try paid.json()
            #expect(payment["status"] as? String == "approved")
            #expect((payment["customer"] as? [String: Any])?["id"] as? String == ids[2])
            // The skipped customer is simply not found (declined), not an error.
            let skipped = try await shoppers.pay(people[0], terminal: terminal, amount: 700)
            #expect(skipped.status < 500)
            #expect(try skipped.json()["status"] as? String == "declined")
        }
    }

    @Test("a key rotation while the server runs, then an enrolment: every template opens with the new key alone")
    func rotationWhileRunning() async throws {
        let data = try PersistentDataDirectory.make()
        defer { data.remove() }
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = SeededRandom(seed: seed)
        let people = (0..<2).map { _ in SyntheticPerson(model: .sim128, using: &random) }
        let rotated = Mutex<TemplateKeyRing?>(nil)
        let keyFilePath = data.keyFilePath

        try await data.withServer { server, _, keyRing in
            let kiosk = try server.registerDevice("K-1", role: .kiosk)
            var shoppers = Shoppers(server: server, seed: seed)
            _ = try await shoppers.enrol(people[0], kiosk: kiosk, phone: "+4915100000010")
            let before = keyRing.ring.current.id

            // What `facepay keys rotate` does, from outside the server: a new key in the file,
            // every row re-sealed under it.
            let ring = try TemplateKeyRing.appendNewKey(toFileAt: keyFilePath)
            #expect(try await server.database.resealTemplates(keyRing: ring).resealed == 1)
            rotated.withLock { $0 = ring }

            // The running server's next enrolment is sealed with the new key, not the old one.
            _ = try await shoppers.enrol(people[1], kiosk: kiosk, phone: "+4915100000011")
            #expect(keyRing.ring.current.id == ring.current.id)
            #expect(ring.current.id != before)
        }
        let ring = try #require(rotated.withLock { $0 })
        let database = try AppDatabase.open(path: data.databasePath)
        #expect(try database.templateKeyIDsInUse() == [ring.current.id])
        let newKeyOnly = try TemplateKeyRing(keys: [ring.current])
        #expect(try database.undecryptableTemplates(keyRing: newKeyOnly).isEmpty)

        // The old key can now be retired: a server whose file holds only the new key loads everyone.
        let newLine = try #require(try String(contentsOfFile: data.keyFilePath, encoding: .utf8)
            .split(separator: "\n").last { $0.hasPrefix(ring.current.id + " ") })
        try SecretFile.write(Data((newLine + "\n").utf8), to: data.keyFilePath, existing: .replace)
        try await data.withServer { _, report, _ in
            #expect(report.loaded == 2)
            #expect(report.undecryptable.isEmpty)
        }
    }
}
