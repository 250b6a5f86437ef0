import ArgumentParser
import Biometrics
import FacePayCore
import Foundation
import HTTPAPI
import Ledger
import Payments
import PostgresStorage
import Simulator
import Storage
import Stores

/// `facepay bench api`: approved payments/s and p50/p99 latency end to end over mutual TLS.
///
/// 1. A fresh data directory with the development PKI and `--customers` synthetic `sim-128`
///    customers (wallet, deposit, sealed template) written straight into SQLite.
/// 2. The server in its own process (this binary, `serve`), which loads the gallery at start-up.
/// 3. This process is the load generator: `--connections` terminals, each with its own client
///    certificate and keep-alive connection, each payment a challenge + a payment.
/// The server runs with the lockout threshold raised: a busy bench till sees hundreds of
/// payments a minute, so the ~0.3 % genuine liveness failures would otherwise lock it out.
struct BenchAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "End-to-end approved payments/s over mTLS with a large gallery.")

    @Option(help: "Enrolled customers in the gallery.") var customers = 100_000
    /// 24: on this 2-core machine the server and the load generator are then both busy and every
    /// extra connection only waits in a queue (32 gives about the same payments/s and a p99 near
    /// 56 ms instead of 45).
    @Option(help: "Concurrent terminals (connections) of the load generator.") var connections = 24
    @Option(help: "Seconds measured (after warm-up).") var seconds = 15.0
    @Option(help: "Warm-up seconds, not measured.") var warmUp = 3.0
    @Option(help: "Working directory (default: a new temporary one, removed afterwards).") var directory: String?
    @Option(help: "Seed of the synthetic customers.") var seed: UInt64 = 20261129
    @Option(help: "Captures generated before the measurement (0: each made during the load).") var pregenerate = 30_000
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Run the nodes on this PostgreSQL server instead of SQLite (postgres://USER@HOST:PORT/DB; a scratch database is created there and dropped).")
    var database: String?
    @Option(help: "With --database: serve processes on the one database; terminals are spread over them.") var nodes = 1

    func validate() throws {
        guard (1...5_000_000).contains(customers) else { throw ValidationError("--customers must be 1…5000000") }
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be 1…1024") }
        guard seconds > 0, warmUp >= 0 else { throw ValidationError("--seconds must be positive") }
        guard (1...8).contains(nodes), nodes == 1 || database != nil else { throw ValidationError("--nodes is 1…8, and above 1 needs --database") }
    }

    func run() async throws {
        let root = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("facepay-bench-api-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        let data = DataDirectory(path: root.path)
        try data.create()
        if let database {
            let server = try CommandErrors.run { try PostgresLocation(url: database) }
            try await runOnPostgres(data: data, server: server)
            return
        }
        let database = try AppDatabase.open(path: data.databasePath, logger: DataDirectoryOptions.quietLogger)
        try DevelopmentPKI.ensure(in: data, database: database)
        let keyRing = try TemplateKeyRing.load(path: data.templateKeyPath, environment: [:], createIfMissing: true)

        let identities = try seedCustomers(database: database, keyRing: keyRing)
        let terminalBases = try await issueTerminals(data: data) { device in try database.addDeviceIfAbsent(device) }
        try await measure(data: data, identities: identities, terminalBases: terminalBases, servers: [(try startServer(data: data), serverLogPath(data, node: nil))], backend: "sqlite")
    }

    /// Starts nothing itself: runs the load against `servers` (already started; terminal i talks
    /// to server i mod n), stops them, and prints the result.
    func measure(data: DataDirectory, identities: [SyntheticPerson], terminalBases: [String], servers started: [(process: Process, log: String)],
                 backend: String) async throws {
        let servers = started.map(\.process)
        defer { for server in servers where server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var urls: [String] = []
        for (server, log) in started {
            urls.append("https://127.0.0.1:\(try await apiPort(of: server, logPath: log))")
        }
        var terminals: [LiveClient] = []
        for (index, base) in terminalBases.enumerated() {
            terminals.append(try LiveClient(baseURL: urls[index % urls.count], certificatePath: base + ".pem", keyPath: base + ".key",
                                            caPath: data.caCertificatePath, connectionsMax: 1))
        }
        status("pre-generating \(pregenerate) captures")
        let generator = APILoadGenerator(identities: identities, warmUpSeconds: warmUp, measureSeconds: seconds, seed: seed,
                                         pregeneratedCaptures: pregenerate)
        status("load: \(connections) connections over \(servers.count) node(s) on \(backend), \(warmUp) s warm-up, \(seconds) s measured")
        let result = await generator.run(terminals: terminals)
        for terminal in terminals { try? await terminal.shutdown() }
        for server in servers {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }

        let p50 = result.percentileMilliseconds(0.50)
        let p99 = result.percentileMilliseconds(0.99)
        if json {
            let object: [String: Any] = ["customers": customers, "connections": connections, "backend": backend, "nodes": servers.count,
                                         "payments_per_s": (result.paymentsPerSecond * 10).rounded() / 10,
                                         "p50_ms": (p50 * 100).rounded() / 100, "p99_ms": (p99 * 100).rounded() / 100,
                                         "errors": result.errors, "declined": result.declined]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("backend   nodes  customers  connections  approved/s  p50 ms  p99 ms  declined  errors")
            print(String(format: "%-8@  %5d  %9d  %11d  %10.1f  %6.2f  %6.2f  %8d  %6d", backend as NSString, servers.count, customers, connections,
                         result.paymentsPerSecond, p50, p99, result.declined, result.errors))
        }
    }

    func status(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes the customers straight into SQLite (wallet, deposit, customer row, sealed
    /// template), 2,000 per transaction; returns their identities for the load generator.
    func seedCustomers(database: AppDatabase, keyRing: TemplateKeyRing) throws -> [SyntheticPerson] {
        var random = SeededRandom(seed: seed)
        let euro = Currency("EUR")!
        let progress = TerminalProgress(label: "seeding")
        var identities: [SyntheticPerson] = []
        identities.reserveCapacity(customers)
        let batchSize = 2000
        var done = 0
        while done < customers {
            let count = min(batchSize, customers - done)
            let batch = (done..<(done + count)).map { Self.syntheticCustomer(index: $0, using: &random) }
            let now = Date()
            try database.insertFundedCustomers(batch.map { (template: $0.1, phoneE164: $0.2) }, model: "sim-128", keyRing: keyRing,
                                               balance: Money(amountMinor: 1_000_000_000, currency: euro), actor: "bench", now: now)
            identities += batch.map(\.0)
            done += count
            progress.update("customers", done: done, total: customers)
        }
        progress.finish()
        return identities
    }

    /// A synthetic customer: the person (for the load generator), an enrolment template (one
    /// normalised session of theirs) and a phone number.
    static func syntheticCustomer(index: Int, using random: inout SeededRandom) -> (SyntheticPerson, [Float], String) {
        let model = SyntheticFaceModel.sim128
        let person = SyntheticPerson(model: model, using: &random)
        let session = model.session(of: person.identity, using: &random)
        let norm = session.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (person, session.map { Float($0 / norm) }, String(format: "+4917%09d", index))
    }

    /// One terminal certificate per connection (a device holds few outstanding challenges),
    /// each registered with `register`.
    func issueTerminals(data: DataDirectory, register: (Device) async throws -> Void) async throws -> [String] {
        let authority = try CertificateAuthority.load(certificatePath: data.caCertificatePath, keyPath: data.caKeyPath)
        let folder = data.root.appendingPathComponent("bench-terminals", isDirectory: true)
        var bases: [String] = []
        for index in 0..<connections {
            let id = "T-BENCH-\(index)"
            try authority.issueDeviceCertificate(deviceID: id, role: DeviceRole.terminal.rawValue).write(to: folder, baseName: id)
            try await register(Device(id: id, role: .terminal, merchantID: "M-BENCH", createdAt: Date()))
            bases.append(folder.appendingPathComponent(id).path)
        }
        return bases
    }

    /// A `serve` process of this binary on `data` (SQLite), or node `node` on the database at
    /// `databaseURL`, with its own folder and the bench's certificates and template key.
    func startServer(data: DataDirectory, node: Int? = nil, databaseURL: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = ["serve", "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0", "--lockout-failures-max", "1000000", "--log-level", "notice"]
        if let node, let databaseURL {
            let folder = data.root.appendingPathComponent("node\(node)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            arguments += ["--data-dir", folder.path, "--database", databaseURL, "--tls-cert", data.serverCertificatePath,
                          "--tls-key", data.serverKeyPath, "--client-ca", data.caCertificatePath]
            var environment = ProcessInfo.processInfo.environment
            environment["FACEPAY_TEMPLATE_KEY_FILE"] = data.templateKeyPath
            process.environment = environment
        } else {
            arguments += ["--data-dir", data.root.path]
        }
        process.arguments = arguments
        let logPath = serverLogPath(data, node: node)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func serverLogPath(_ data: DataDirectory, node: Int?) -> String {
        data.root.appendingPathComponent(node.map { "server-node\($0).log" } ?? "server.log").path
    }

    /// Waits for the server's "API listening" log line and returns its port.
    func apiPort(of server: Process, logPath: String) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = log.range(of: #"address=127\.0\.0\.1:\d+ listener=api"#, options: .regularExpression),
               let port = Int(log[range].dropFirst("address=127.0.0.1:".count).prefix(while: \.isNumber)) {
                return port
            }
            guard server.isRunning else { throw CommandFailure(message: "the server exited: \(log.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure(message: "the server did not start listening")
    }
}
