import FacePayCore
import Foundation
import Ledger
import Liveness
@testable import PostgresStorage
@testable import Storage
import Stores

let euro = Currency("EUR")!
let terminal = "T-1"
let merchant = "M-1"
let kiosk = "K-1"

/// The stores of one backend, as the use cases see them: protocols only. Every contract test
/// runs once per backend (`StoreBackend.allCases`); a new backend passes the same tests.
struct BackendStores: Sendable {
    let ledger: any PaymentLedger
    let customers: any CustomerStore
    let idempotency: any IdempotencyStore
    let audit: any AuditReader
    /// The audit log's Merkle tree nodes (receipts).
    let tree: any AuditTreeStore
    let devices: any DeviceRegistry
    let challenges: any ChallengeStore
    /// A replay memory over the backend's data; each call is a new instance, as after a restart
    /// (opened once what the earlier instances wrote is durable), so what one remembered the next
    /// one must know. (On SQLite one process serves a file, so two instances never run at once;
    /// the shared, concurrent memory of several nodes is the PostgreSQL backend's contract.)
    let replayGuard: @Sendable () async throws -> any ReplayGuardStore
    /// The templates' key ids (`facepay keys`), and the ring the stores seal enrolments with.
    let templateKeys: any TemplateKeyStore
    let keyRing: TemplateKeyRing
    /// The erasure journal the stores write, and its reapply as the server runs it at start-up.
    let erasureJournal: ErasureJournal
    let reapplyErasureJournal: @Sendable () async throws -> [String]
    /// Runs one SQL statement on the database behind the stores' back: an insider's edit.
    let tamper: @Sendable (String) async throws -> Void
}

enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// A real SQLite file in a temporary directory, through the group-commit writer.
    case sqlite
    /// A new database on the real PostgreSQL server of `FACEPAY_TEST_DATABASE_URL` (CI starts
    /// one: scripts/postgres-test-cluster.sh), created for the test and dropped after it.
    case postgres

    /// The server the PostgreSQL cases run on; without it they do not run (README, "Tests on
    /// PostgreSQL"). CI always sets it, and a test fails there when it is missing.
    static let postgresURL = ProcessInfo.processInfo.environment["FACEPAY_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static var allCases: [StoreBackend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var description: String { rawValue }

    /// Opens a fresh, empty backend with a terminal of `merchant` and a kiosk, runs `body`
    /// against it, then shuts it down and removes it.
    func with<T: Sendable>(_ body: @Sendable (BackendStores) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("facepay-store-contract-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try AppDatabase.open(path: directory.appendingPathComponent("facepay.sqlite").path)
            try database.addDevice(Device(id: terminal, role: .terminal, merchantID: merchant, createdAt: Date()))
            try database.addDevice(Device(id: kiosk, role: .kiosk, merchantID: nil, createdAt: Date()))
            let writer = GroupCommitWriter(database: database)
            let keyRing = TemplateKeyRingSource(fixed: try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "store contract"))
            let sqlite = SQLiteStores(database: database, writer: writer, keyRing: keyRing)
            let stores = BackendStores(ledger: sqlite, customers: sqlite, idempotency: sqlite, audit: database, tree: database, devices: database,
                                challenges: SQLiteChallengeStore(database: database, writer: writer),
                                replayGuard: {
                                    // The writer commits in order: once this no-op is durable, so is every earlier sighting.
                                    try await writer.submit { _ in }
                                    return SQLiteReplayGuardStore(database: database, writer: writer, settings: LivenessSettings(),
                                                           coder: .fixed("store-contract"))
                                },
                                templateKeys: database, keyRing: keyRing.ring, erasureJournal: database.erasureJournal,
                                reapplyErasureJournal: { try database.erasureJournal.reapply(to: database, now: Date()) },
                                tamper: { sql in try await database.pool.write { try $0.execute(sql: sql) } })
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await writer.run(); return nil }
                defer { writer.beginShutdown() }
                let result = try await body(stores)
                writer.beginShutdown()
                try await group.waitForAll()
                try database.close()
                return result
            }
        case .postgres:
            return try await PostgresDatabase.withScratchDatabase(on: try PostgresLocation(url: Self.postgresURL!), prefix: "facepay_contract") { location in
                let database = try PostgresDatabase(location: location, connectionsMax: 48)
                return try await database.whileRunning {
                    try await database.migrate()
                    let keyRing = TemplateKeyRingSource(fixed: try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "store contract"))
                    // A node's folder holds its erasure journal.
                    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-store-contract-\(UUID().uuidString)")
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    defer { try? FileManager.default.removeItem(at: folder) }
                    let journal = ErasureJournal(in: DataDirectory(path: folder.path))
                    let postgres = PostgresStores(database: database, keyRing: keyRing, erasureJournal: journal)
                    try await postgres.addDevice(Device(id: terminal, role: .terminal, merchantID: merchant, createdAt: Date()))
                    try await postgres.addDevice(Device(id: kiosk, role: .kiosk, merchantID: nil, createdAt: Date()))
                    let stores = BackendStores(ledger: postgres, customers: postgres, idempotency: postgres, audit: postgres, tree: postgres, devices: postgres,
                                               challenges: PostgresChallengeStore(database: database),
                                               replayGuard: {
                                                   PostgresReplayGuardStore(database: database, settings: LivenessSettings(),
                                                                            coder: .fixed("store-contract"))
                                               },
                                               templateKeys: postgres, keyRing: keyRing.ring, erasureJournal: journal,
                                               reapplyErasureJournal: { try await journal.reapply(to: postgres, now: Date()) },
                                               tamper: { sql in try await database.administer(sql) })
                    return try await body(stores)
                }
            }
        }
    }
}
