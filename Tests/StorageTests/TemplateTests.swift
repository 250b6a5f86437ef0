import FacePayCore
import Foundation
import GRDB
@testable import Storage
import Stores
import Testing

@Suite("encrypted face templates")
struct TemplateTests {
    func setUp() throws -> (AppDatabase, URL) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-templates-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let database = try AppDatabase.open(path: url.appendingPathComponent("facepay.sqlite").path)
        try database.addDevice(Device(id: "K-1", role: .kiosk, merchantID: nil, createdAt: Date()))
        return (database, url)
    }

    func addCustomer(_ database: AppDatabase, _ id: String, phone: String = "+4915112345678") throws {
        try database.pool.write { db in
            try Customer(id: id, fullName: "Jane Doe", phoneE164: phone, accountID: "acc_\(id.dropFirst(4))",
                         consentVersion: "2026-01", consentKioskID: "K-1", now: Date()).insert(db)
        }
    }

    func sampleValues(seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let raw = (0..<128).map { _ in Float(random.nextGaussian()) }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return raw.map { $0 / norm }
    }

    @Test("a template round-trips sealed, and its plaintext bytes appear nowhere in the database files")
    func sealedAtRest() throws {
        let (database, directory) = try setUp()
        let ring = try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        try addCustomer(database, "cus_aaaa")
        let values = sampleValues(seed: 7)
        try database.pool.write { db in
            try AppDatabase.saveTemplate(db, values: values, customerID: "cus_aaaa", model: "sim-128", keyRing: ring, now: Date())
        }
        let loaded = try database.loadTemplates(model: "sim-128", keyRing: ring).templates
        #expect(loaded.count == 1)
        #expect(loaded.first?.values == values)
        #expect(loaded.first?.phoneLast4 == "5678")

        var plaintext = Data()
        for value in values.prefix(4) { withUnsafeBytes(of: value.bitPattern.littleEndian) { plaintext.append(contentsOf: $0) } }
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
            #expect(bytes.range(of: plaintext) == nil, "plaintext template bytes found in \(file)")
        }
    }

    @Test("a sealed template moved to another customer does not open")
    func boundToItsRow() throws {
        let (database, _) = try setUp()
        let ring = try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        try addCustomer(database, "cus_aaaa")
        try addCustomer(database, "cus_bbbb", phone: "+4915100000000")
        try database.pool.write { db in
            try AppDatabase.saveTemplate(db, values: sampleValues(seed: 1), customerID: "cus_aaaa", model: "sim-128", keyRing: ring, now: Date())
            try db.execute(sql: "INSERT INTO face_templates SELECT 'cus_bbbb', model, key_id, sealed, created_at, last_used_at FROM face_templates WHERE customer_id = 'cus_aaaa'")
        }
        let load = try database.loadTemplates(model: "sim-128", keyRing: ring)
        #expect(load.templates.map(\.customerID) == ["cus_aaaa"])
        #expect(load.undecryptable == [UndecryptableTemplate(customerID: "cus_bbbb", model: "sim-128", keyID: ring.current.id, reason: "template_corrupt")])
    }

    @Test("rows that do not open (damaged, or under a removed key) are skipped and named; the others load, and rotation passes over them")
    func undecryptableRowsSkipped() async throws {
        let (database, _) = try setUp()
        let oldLine = TemplateKeyRing.newKeyLine(now: Date())
        let ring = try TemplateKeyRing.parse(oldLine, source: "test")
        for index in 0..<5 {
            try addCustomer(database, "cus_d\(index)", phone: "+491510000000\(index)")
            try await database.pool.write { db in
                try AppDatabase.saveTemplate(db, values: sampleValues(seed: UInt64(index)), customerID: "cus_d\(index)", model: "sim-128", keyRing: ring, now: Date())
            }
        }
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE face_templates SET sealed = zeroblob(length(sealed)) WHERE customer_id = 'cus_d1'")
            try db.execute(sql: "UPDATE face_templates SET key_id = 'k-removed' WHERE customer_id = 'cus_d3'")
        }
        let expected = [
            UndecryptableTemplate(customerID: "cus_d1", model: "sim-128", keyID: ring.current.id, reason: "template_corrupt"),
            UndecryptableTemplate(customerID: "cus_d3", model: "sim-128", keyID: "k-removed", reason: "template_key_missing"),
        ]
        let load = try database.loadTemplates(model: "sim-128", keyRing: ring)
        #expect(load.templates.map(\.customerID).sorted() == ["cus_d0", "cus_d2", "cus_d4"])
        #expect(load.undecryptable.sorted { $0.customerID < $1.customerID } == expected)
        #expect(try database.undecryptableTemplates(keyRing: ring) == expected)

        // Rotation re-seals what opens, names what does not, and ends (batch of 1 to walk past them).
        let newRing = try TemplateKeyRing.parse(oldLine + "\n" + TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        let result = try await database.resealTemplates(keyRing: newRing, batchSize: 1)
        #expect(result.resealed == 3)
        #expect(result.undecryptable == expected)
        #expect(try database.templateKeyIDsInUse() == ["k-removed", ring.current.id, newRing.current.id].sorted())
    }

    @Test("rotation re-seals every template under the new key; the old key is then unused")
    func rotation() async throws {
        let (database, _) = try setUp()
        let oldLine = TemplateKeyRing.newKeyLine(now: Date())
        let oldRing = try TemplateKeyRing.parse(oldLine, source: "test")
        for index in 0..<7 {
            let id = "cus_c\(index)"
            try addCustomer(database, id, phone: "+491510000000\(index)")
            try await database.pool.write { db in
                try AppDatabase.saveTemplate(db, values: sampleValues(seed: UInt64(index)), customerID: id, model: "sim-128", keyRing: oldRing, now: Date())
            }
        }
        let newRing = try TemplateKeyRing.parse(oldLine + "\n" + TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        #expect(try await database.resealTemplates(keyRing: newRing, batchSize: 3).resealed == 7)
        #expect(try database.templateKeyIDsInUse() == [newRing.current.id])
        let newOnly = try TemplateKeyRing(keys: [newRing.current])
        #expect(try database.loadTemplates(model: "sim-128", keyRing: newOnly).templates.count == 7)
    }

    @Test("bad key files are refused with stable codes")
    func badKeyFiles() {
        for text in ["", "k1 notbase64!", "k1 \(Data(repeating: 1, count: 16).base64EncodedString())", "k 1 x"] {
            #expect(throws: FacePayError.self) { _ = try TemplateKeyRing.parse(text, source: "test") }
        }
    }

    @Test("a match refreshes the template's last use, at most once per day")
    func lastUseRefreshedDaily() throws {
        let (database, _) = try setUp()
        let ring = try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        try addCustomer(database, "cus_aaaa")
        let enrolled = Date(timeIntervalSince1970: 1_800_000_000)
        try database.pool.write { db in
            try AppDatabase.saveTemplate(db, values: sampleValues(seed: 3), customerID: "cus_aaaa", model: "sim-128", keyRing: ring, now: enrolled)
        }
        func lastUsed() throws -> String? {
            try database.pool.read { db in try String.fetchOne(db, sql: "SELECT last_used_at FROM face_templates WHERE customer_id = 'cus_aaaa'") }
        }
        try database.pool.write { db in try AppDatabase.touchTemplate(db, customerID: "cus_aaaa", model: "sim-128", now: enrolled.addingTimeInterval(3600)) }
        #expect(try lastUsed() == enrolled.rfc3339, "an hour later: unchanged")
        let nextDay = enrolled.addingTimeInterval(AppDatabase.templateUseResolutionSeconds + 1)
        try database.pool.write { db in try AppDatabase.touchTemplate(db, customerID: "cus_aaaa", model: "sim-128", now: nextDay) }
        #expect(try lastUsed() == nextDay.rfc3339)
    }
}
