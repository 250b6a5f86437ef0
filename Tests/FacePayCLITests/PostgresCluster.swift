import FacePayCore
import Foundation
import PostgresStorage
import Simulator
import Testing

/// Several real `facepay serve` processes on one PostgreSQL database — the deployment of
/// SCALING.md on one machine. Node 0 makes the development PKI and the template key; the others
/// use its server certificate, client CA and key file, as nodes behind one load balancer do.
/// The database is new, on the server of `FACEPAY_TEST_DATABASE_URL`, and dropped afterwards.
struct PostgresCluster {
    let binary: FacePayBinary
    let root: URL
    let databaseURL: String
    var nodes: [RunningProcess]
    var apiURLs: [String]

    /// The server the cluster tests run on; without it they do not run (README "Tests on
    /// PostgreSQL"; CI sets it, and the store contract suite fails there when it is missing).
    static let serverURL = ProcessInfo.processInfo.environment["FACEPAY_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static func with<T: Sendable>(nodes count: Int, server serverURL: String? = Self.serverURL,
                        _ body: (inout PostgresCluster) async throws -> T) async throws -> T {
        try await PostgresDatabase.withScratchDatabase(on: try PostgresLocation(url: try #require(serverURL)), prefix: "facepay_cluster") { location in
            let root = try FacePayBinary.temporaryDirectory()
            var cluster = PostgresCluster(binary: try FacePayBinary.locate(), root: root, databaseURL: Self.url(of: location), nodes: [], apiURLs: [])
            defer {
                for node in cluster.nodes { node.killIfRunning() }
                try? FileManager.default.removeItem(at: root)
            }
            for index in 0..<count { try await cluster.startNode(index) }
            return try await body(&cluster)
        }
    }

    /// The URL the nodes get (the test servers run without TLS on the loopback).
    static func url(of location: PostgresLocation) -> String {
        "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)?sslmode=disable"
    }

    func directory(_ index: Int) -> URL { root.appendingPathComponent("node\(index)", isDirectory: true) }
    var pki: URL { directory(0).appendingPathComponent("pki", isDirectory: true) }

    /// Starts node `index` (again, after a kill) and waits until it answers.
    mutating func startNode(_ index: Int) async throws {
        let folder = directory(index)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var arguments = ["serve", "--data-dir", folder.path, "--database", databaseURL, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        var environment: [String: String] = [:]
        if index > 0 {
            arguments += ["--tls-cert", pki.appendingPathComponent("server.pem").path, "--tls-key", pki.appendingPathComponent("server.key").path,
                          "--client-ca", pki.appendingPathComponent("ca.pem").path]
            environment["FACEPAY_TEMPLATE_KEY_FILE"] = directory(0).appendingPathComponent("template.key").path
        }
        let node = try binary.start(arguments, in: folder, environment: environment)
        let curl = try await node.firstLine()
        let url = String(try #require(curl.split(separator: " ").last).dropLast("/v1/me".count))
        if index < nodes.count {
            nodes[index] = node
            apiURLs[index] = url
        } else {
            nodes.append(node)
            apiURLs.append(url)
        }
    }

    /// A client of node `index` with a device certificate of node 0's CA.
    func client(_ device: String, node index: Int, connectionsMax: Int = 8) throws -> LiveClient {
        try LiveClient(baseURL: apiURLs[index], certificatePath: certificate(device).pem, keyPath: certificate(device).key,
                       caPath: pki.appendingPathComponent("ca.pem").path, connectionsMax: connectionsMax)
    }

    func certificate(_ device: String) -> (pem: String, key: String) {
        let folder = device.hasSuffix("-DEV-1") ? pki : root.appendingPathComponent("devices", isDirectory: true)
        return (folder.appendingPathComponent("\(device).pem").path, folder.appendingPathComponent("\(device).key").path)
    }

    /// Issues and registers more terminals (`facepay pki issue` against the shared database).
    func issueTerminals(_ ids: [String], merchant: String) async throws {
        let out = root.appendingPathComponent("devices", isDirectory: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        for id in ids {
            let result = try await binary.run(["pki", "issue", "--data-dir", directory(0).path, "--database", databaseURL,
                                               "--role", "terminal", "--id", id, "--merchant", merchant, "--out", out.path], in: root)
            guard result.status == 0 else { throw Failure("pki issue \(id): \(result.stderr)") }
        }
    }

    /// `facepay audit verify` on the shared database: every test ends with a clean chain.
    func expectChainVerifies(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await binary.run(["audit", "verify", "--database", databaseURL], in: root)
        #expect(result.status == 0, "\(result.stdout + result.stderr)", sourceLocation: sourceLocation)
    }
}

/// A customer the tests enrol and pay as.
struct ClusterCustomer {
    let person: SyntheticPerson
    let id: String
    let accountID: String
}

/// Runs `body`, then shuts the clients down whether it threw or not (an HTTP client must be shut
/// down before it is released).
func using<T>(_ clients: [LiveClient], _ body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    for client in clients { try? await client.shutdown() }
    return try result.get()
}

extension LiveClient {
    /// Enrols a new synthetic person with `depositMinor` in their wallet (a new challenge when a
    /// genuine capture fails liveness, as a kiosk does).
    func enrol(seed: UInt64, depositMinor: Int) async throws -> ClusterCustomer {
        var random = SeededRandom(seed: seed)
        let person = SyntheticPerson(model: .sim128, using: &random)
        let phone = "+49151" + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
        for attempt in 0..<3 {
            let (challengeID, actions) = try await challenge()
            let face = GenuineCaptureGenerator().capture(of: person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random)
                .capture.faceJSON()
            let body = LiveClient.body(#""name":"Cluster Customer","phone":"\#(phone)","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":\#(depositMinor),"currency":"EUR"}"#, face: face)
            let reply = try await send(.POST, "/v1/customers", body: body, idempotencyKey: "enrol-\(seed)-\(attempt)")
            if reply.status == 201, let id = reply.json()["customer_id"] as? String, let account = reply.json()["account_id"] as? String {
                return ClusterCustomer(person: person, id: id, accountID: account)
            }
            guard reply.status == 422, reply.json()["code"] as? String == "liveness_failed" else {
                throw Failure("enrolment refused: \(reply.status) \(String(decoding: reply.body, as: UTF8.self))")
            }
        }
        throw Failure("enrolment failed liveness three times")
    }

    /// A fresh genuine capture of `person` under a new challenge of this device, as payment fields.
    func paymentBody(_ person: SyntheticPerson, amountMinor: Int, seed: UInt64) async throws -> [UInt8] {
        var random = SeededRandom(seed: seed)
        let (challengeID, actions) = try await challenge()
        let face = GenuineCaptureGenerator().capture(of: person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random)
            .capture.faceJSON()
        return LiveClient.body(#""amount":\#(amountMinor),"currency":"EUR""#, face: face)
    }

    /// What an account has available, read by an auditor.
    func availableMinor(account accountID: String) async throws -> Int? {
        (try await send(.GET, "/v1/ledger/accounts/\(accountID)").json()["balances"] as? [String: Any])?["available"] as? Int
    }
}

/// A PostgreSQL server of its own for one test (scripts/postgres-test-cluster.sh), which the test
/// may restart under running nodes; stopped and removed afterwards.
struct OwnPostgresServer {
    let url: String
    let dataDirectory: String
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-test-cluster.sh").path

    static func with<T>(_ body: (OwnPostgresServer) async throws -> T) async throws -> T {
        let root = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let started = try await shell("\(script) start", in: root)
        guard started.status == 0 else { throw Failure("cannot start a PostgreSQL server: \(started.stdout)") }
        func exported(_ name: String) -> String? {
            started.stdout.split(separator: "\n").first { $0.hasPrefix("export \(name)=") }.map { String($0.dropFirst("export \(name)=".count)) }
        }
        let server = OwnPostgresServer(url: try #require(exported("FACEPAY_TEST_DATABASE_URL")), dataDirectory: try #require(exported("FACEPAY_TEST_PGDATA")))
        let result: Result<T, any Error>
        do {
            result = .success(try await body(server))
        } catch {
            result = .failure(error)
        }
        _ = try? await shell("FACEPAY_TEST_PGDATA=\(server.dataDirectory) \(script) stop", in: root)
        return try result.get()
    }

    func restart() async throws {
        let restarted = try await shell("FACEPAY_TEST_PGDATA=\(dataDirectory) \(Self.script) restart", in: URL(fileURLWithPath: dataDirectory))
        guard restarted.status == 0 else { throw Failure("restart failed: \(restarted.stdout)") }
    }
}
