import FacePayCore
import Foundation
import Ledger
import PostgresStorage
import Simulator
import Stores
import Synchronization

/// `facepay bench api --database postgres://… --nodes N`: the same load against N `serve`
/// processes on one PostgreSQL database (a scratch database on that server, dropped afterwards),
/// the terminals spread over the nodes as a load balancer would. The customers are enrolled
/// through the store's own unit (`CustomerStore.enrol`), 32 at a time.
extension BenchAPICommand {
    func runOnPostgres(data: DataDirectory, server: PostgresLocation) async throws {
        let keyRing = try TemplateKeyRing.load(path: data.templateKeyPath, environment: [:], createIfMissing: true)
        try await PostgresDatabase.withScratchDatabase(on: server, prefix: "facepay_bench_api") { location in
            let database = try PostgresDatabase(location: location, connectionsMax: 8)
            let (identities, terminalBases) = try await database.whileRunning {
                try await database.migrate()
                let stores = PostgresStores(database: database, keyRing: TemplateKeyRingSource(fixed: keyRing))
                try await DevelopmentPKI.ensure(in: data, postgres: stores)
                let identities = try await seedCustomers(postgres: stores)
                let bases = try await issueTerminals(data: data) { device in try await stores.addDevice(device) }
                return (identities, bases)
            }
            let url = location.description  // no password: use trust, peer or ~/.pgpass for the bench
            var servers: [(process: Process, log: String)] = []
            for node in 0..<nodes {
                servers.append((try startServer(data: data, node: node, databaseURL: url), serverLogPath(data, node: node)))
            }
            try await measure(data: data, identities: identities, terminalBases: terminalBases, servers: servers, backend: "postgres")
        }
    }

    /// The same synthetic customers as on SQLite (same seed, same order), each enrolled with its
    /// wallet funded.
    private func seedCustomers(postgres stores: PostgresStores) async throws -> [SyntheticPerson] {
        var random = SeededRandom(seed: seed)
        let customers = (0..<customers).map { Self.syntheticCustomer(index: $0, using: &random) }
        let euro = Currency("EUR")!
        let progress = TerminalProgress(label: "seeding")
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    while let index = next.take(below: customers.count) {
                        let (_, template, phone) = customers[index]
                        let enrolment = NewEnrolment(customerID: LedgerIdentifier.make(.customer), fullName: "Bench Customer", phoneE164: phone,
                                                     consentVersion: "2026-01", kioskID: "K-DEV-1",
                                                     initialDeposit: Money(amountMinor: 1_000_000_000, currency: euro), template: template,
                                                     modelID: "sim-128", captureID: Int64(index + 1))
                        let frame = IdempotencyFrame(deviceID: "K-DEV-1", key: "bench-seed-\(index)",
                                                     fingerprint: RequestFingerprint(method: "POST", path: "/bench/seed", body: Data(phone.utf8)),
                                                     now: Date())
                        _ = try await stores.enrol(enrolment, frame: frame) { account, _ in StoredResponse(status: 201, body: Data(account.id.utf8)) }
                        if index % 1000 == 999 { progress.update("customers", done: index + 1, total: customers.count) }
                    }
                }
            }
            try await group.waitForAll()
        }
        progress.finish()
        return customers.map(\.0)
    }
}

/// Hands out 0, 1, 2, … to concurrent seeders.
private final class Counter: Sendable {
    private let value = Mutex(0)

    func take(below end: Int) -> Int? {
        value.withLock { value in
            guard value < end else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
