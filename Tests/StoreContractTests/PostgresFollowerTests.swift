import FacePayCore
import Foundation
import Liveness
import PostgresStorage
import Stores
import Synchronization
import Testing

/// What a PostgreSQL node learns from the others through its gallery follower, beyond the
/// gallery itself: the replay codes an erasure forgot, the erasure for its own journal, and a
/// template sealed under a key its key file does not hold yet.
@Suite("a PostgreSQL node follows the others' erasures and key rotations",
       .enabled(if: StoreBackend.postgresURL != nil), .serialized)
struct PostgresFollowerTests {
    /// Two nodes' stores on one scratch database: A writes, B follows with `ring` from a key file.
    func withNodes(_ body: @Sendable (_ a: PostgresStores, _ b: PostgresStores, _ keyFile: String, _ folder: URL) async throws -> Void) async throws {
        try await PostgresDatabase.withScratchDatabase(on: try PostgresLocation(url: StoreBackend.postgresURL!), prefix: "facepay_follower") { location in
            let database = try PostgresDatabase(location: location, connectionsMax: 8)
            try await database.whileRunning {
                try await database.migrate()
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-follower-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: folder) }
                let keyFile = folder.appendingPathComponent("template.key").path
                try SecretFile.write(Data((TemplateKeyRing.newKeyLine(now: Date()) + "\n").utf8), to: keyFile, existing: .keep)
                let ringB = try TemplateKeyRingSource(path: keyFile, environment: [:], createIfMissing: false)
                let a = PostgresStores(database: database, keyRing: TemplateKeyRingSource(fixed: ringB.ring), nodeID: "node-a")
                let b = PostgresStores(database: database, keyRing: ringB, nodeID: "node-b",
                                       erasureJournal: ErasureJournal(in: DataDirectory(path: folder.path)))
                try await a.addDevice(Device(id: kiosk, role: .kiosk, merchantID: nil, createdAt: Date()))
                try await body(a, b, keyFile, folder)
            }
        }
    }

    /// What a follower handed its node.
    final class Updates: Sendable {
        private let list = Mutex<[GalleryUpdate]>([])
        func add(_ update: GalleryUpdate) { list.withLock { $0.append(update) } }
        var all: [GalleryUpdate] { list.withLock { $0 } }
    }

    /// A's enrolment under a new key (the rotation reached A first); returns it and the key file's
    /// text once it holds the new key too.
    func enrolUnderNewKey(_ a: PostgresStores, keyFile: String) async throws -> (enrolment: NewEnrolment, rotatedFile: String) {
        let rotatedFile = try String(contentsOfFile: keyFile, encoding: .utf8) + TemplateKeyRing.newKeyLine(now: Date()) + "\n"
        let aRotated = PostgresStores(database: a.database, keyRing: TemplateKeyRingSource(fixed: try TemplateKeyRing.parse(rotatedFile, source: "rotated")),
                                      nodeID: "node-a2")
        let enrolment = Contract.newEnrolment(customerID: LedgerIdentifier.make(.customer), depositMinor: 0)
        _ = try await aRotated.enrol(enrolment, frame: Contract.frame(device: kiosk, key: "enrol")) { account, _ in
            StoredResponse(status: 201, body: Data(account.id.utf8))
        }
        return (enrolment, rotatedFile)
    }

    /// The customers a follower added to the gallery.
    static func added(_ updates: Updates) -> [String] {
        updates.all.compactMap { update -> String? in
            if case .add(_, let template) = update { return template.customerID }
            return nil
        }
    }

    /// B's follower from the start of the log, recording what it hands the node.
    func follower(_ b: PostgresStores, _ updates: Updates) -> PostgresGalleryFollower {
        PostgresGalleryFollower(stores: b, models: [Contract.model], cursor: 0, failureCursor: 0) { updates.add($0) }
    }

    @Test("an erasure on A: B drops the face and the replay codes of the customer's captures, and journals the erasure")
    func erasureFollowed() async throws {
        try await withNodes { a, b, _, _ in
            // A capture screened on A, then attributed to the customer by their enrolment.
            let replay = PostgresReplayGuardStore(database: a.database, settings: LivenessSettings(), coder: .fixed("follower"))
            var random = SeededRandom(seed: 3)
            let screening = try await replay.screen([ReplayCode(words: SIMD8((0..<8).map { _ in random.next() }))],
                                                    challengeID: "chl-follower", now: Date())
            let enrolment = Contract.newEnrolment(customerID: LedgerIdentifier.make(.customer), depositMinor: 0, captureID: screening.captureID)
            _ = try await a.enrol(enrolment, frame: Contract.frame(device: kiosk, key: "enrol")) { account, _ in
                StoredResponse(status: 201, body: Data(account.id.utf8))
            }
            _ = try await a.eraseBiometrics(customerID: enrolment.customerID, captureID: screening.captureID,
                                            frame: Contract.frame(device: kiosk, key: "erase")) { _ in StoredResponse(status: 204, body: Data()) }

            let updates = Updates()
            try await follower(b, updates).catchUp()
            let removals = updates.all.compactMap { update -> (String, Set<Int64>)? in
                if case .remove(let customerID, let forgotten) = update { return (customerID, forgotten) }
                return nil
            }
            #expect(removals.count == 1)
            #expect(removals.first?.0 == enrolment.customerID)
            #expect(removals.first?.1 == [screening.captureID])
            #expect(try b.erasureJournal?.entries().map(\.customerID) == [enrolment.customerID])
        }
    }

    @Test("a template A sealed under a key B's file lacks waits on B, and joins B's gallery once its file gains the key")
    func templateAwaitsItsKey() async throws {
        try await withNodes { a, b, keyFile, _ in
            // A has the rotated ring first (the rollout reached it before B).
            let (enrolment, rotatedFile) = try await enrolUnderNewKey(a, keyFile: keyFile)
            let updates = Updates()
            let follower = follower(b, updates)
            try await follower.catchUp()
            #expect(updates.all.isEmpty)

            try SecretFile.write(Data(rotatedFile.utf8), to: keyFile, existing: .replace)
            try await follower.catchUp()
            #expect(Self.added(updates) == [enrolment.customerID])
        }
    }
    @Test("a template the start-up load could not open for want of its key joins the gallery once the key file gains it")
    func startupTemplateAwaitsItsKey() async throws {
        try await withNodes { a, b, keyFile, _ in
            let (enrolment, rotatedFile) = try await enrolUnderNewKey(a, keyFile: keyFile)
            // B starts: its snapshot cannot open the template.
            let snapshot = try await b.templateSnapshot(models: [Contract.model])
            let skipped = snapshot.loads[Contract.model]?.undecryptable ?? []
            #expect(skipped.map(\.reason) == ["template_key_missing"])
            let updates = Updates()
            let follower = PostgresGalleryFollower(stores: b, models: [Contract.model], cursor: snapshot.changeCursor, failureCursor: 0,
                                                   undecryptable: skipped) { updates.add($0) }
            try await follower.catchUp()
            #expect(updates.all.isEmpty)
            try SecretFile.write(Data(rotatedFile.utf8), to: keyFile, existing: .replace)
            try await follower.catchUp()
            #expect(Self.added(updates) == [enrolment.customerID])
        }
    }
}
