import AsyncHTTPClient
import FacePayCore
import Foundation
import HTTPAPI
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Payments
import ServiceLifecycle
import Storage
import Stores
import Synchronization
import X509

/// A live FacePay server on port 0 over a real SQLite file in a temporary directory, with
/// certificates minted in memory by a real CA; and clients that present real client
/// certificates over real TLS.
struct TestServer {
    let directory: URL
    let database: AppDatabase
    let authority: CertificateAuthority
    let apiPort: Int
    let opsPort: Int
    let metrics: ServerMetrics
    let payments: PaymentsService
    let clock: ManualWallClock
    let clients: ClientRegistry

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `body` against a started server, then shuts it down gracefully (even on failure).
    static func with(bodyBytesMax: Int? = nil, paymentsSettings: PaymentsSettings = PaymentsSettings(),
                     limits configureLimits: (inout Limits) -> Void = { _ in },
                     logHandler: LogRecorder? = nil, _ body: @Sendable (TestServer) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = logHandler.map { recorder in Logger(label: "test") { recorder.handler(label: $0) } } ?? Logger(label: "test")
        logger.logLevel = logHandler == nil ? .error : .trace
        let database = try AppDatabase.open(path: directory.appendingPathComponent("facepay.sqlite").path, logger: logger)
        let authority = try CertificateAuthority.create(commonName: "Test CA")
        let serverCertificate = try authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]])
        try serverCertificate.write(to: directory, baseName: "server")
        let caPath = directory.appendingPathComponent("ca.pem")
        try Data(authority.certificatePEM().utf8).write(to: caPath)

        var settings = ServerSettings(
            serverCertificatePath: directory.appendingPathComponent("server.pem").path,
            serverKeyPath: directory.appendingPathComponent("server.key").path,
            clientCAPath: caPath.path)
        settings.apiPort = 0
        settings.opsPort = 0
        settings.auditSigningKeyPath = directory.appendingPathComponent("audit-signing.key").path
        settings.createAuditSigningKey = true
        if let bodyBytesMax { settings.limits.bodyBytesMax = bodyBytesMax }
        configureLimits(&settings.limits)
        let keyRing = try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        let clock = ManualWallClock(Date())
        let server = try FacePayServer(settings: settings, database: database, galleries: Galleries(), keyRing: keyRing,
                                       paymentsSettings: paymentsSettings, clock: clock, logger: logger)
        try await run(server, logger: logger) { ports, registry in
            try await body(TestServer(directory: directory, database: database, authority: authority,
                                      apiPort: ports.api, opsPort: ports.ops, metrics: server.metrics,
                                      payments: server.payments, clock: clock, clients: registry))
        }
    }

    /// Runs `server`'s services, calls `body` once both listeners are bound, then shuts down
    /// gracefully (client connections first: the server's graceful shutdown waits for open ones),
    /// even when `body` fails.
    static func run(_ server: FacePayServer, logger: Logger,
                    _ body: (_ ports: (api: Int, ops: Int), _ clients: ClientRegistry) async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: server.services.map { .init(service: $0) }, logger: logger))
        let registry = ClientRegistry()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var failure: (any Error)?
            do {
                // A safety net, not a speed check: the synchronous CPU-heavy suites (gallery,
                // calibration) can hold both of Swift's cooperative threads of a 2-core machine
                // for minutes while the rest of the suite waits for a turn.
                try await body(try await server.boundPorts.waitUntilBound(timeout: .seconds(300)), registry)
            } catch {
                failure = error
            }
            await shutdownClients(registry)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            if let failure { throw failure }
        }
    }

    /// Registers a device and returns a client presenting its certificate.
    func registerDevice(_ id: String, role: DeviceRole, merchantID: String? = nil) throws -> TestClient {
        try database.addDevice(Device(id: id, role: role, merchantID: merchantID, createdAt: Date()))
        return try client(certificateFor: id, role: role.rawValue)
    }

    /// A client with a certificate from this server's CA (whatever the database says of it).
    func client(certificateFor deviceID: String, role: String, authority: CertificateAuthority? = nil) throws -> TestClient {
        let issued = try (authority ?? self.authority).issueDeviceCertificate(deviceID: deviceID, role: role)
        return clients.register(try TestClient(port: apiPort, trusting: self.authority, certificate: issued))
    }

    /// A client that presents no certificate at all.
    func anonymousClient() throws -> TestClient {
        clients.register(try TestClient(port: apiPort, trusting: authority, certificate: nil))
    }
}

/// An HTTPS client over AsyncHTTPClient with an optional client certificate.
struct TestClient {
    let port: Int
    let http: HTTPClient

    init(port: Int, trusting authority: CertificateAuthority, certificate: IssuedCertificate?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(authority.certificatePEM().utf8), format: .pem)])
        if let certificate {
            tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM().utf8), format: .pem))]
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM().utf8), format: .pem))
        }
        self.port = port
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    struct Reply {
        let status: Int
        let contentType: String?
        let body: Data
        var retryAfter: String? = nil

        func json() throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                     body: Data(buffer: bytes), retryAfter: response.headers.first(name: "Retry-After"))
    }

    func shutdown() async throws { try await http.shutdown() }
}

/// Runs `body` with a client and always shuts the client down.
@discardableResult
func using<T>(_ client: TestClient, _ body: (TestClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Every client a test made, so the harness can close them before stopping the server.
final class ClientRegistry: Sendable {
    private let clients = Mutex<[HTTPClient]>([])

    func register(_ client: TestClient) -> TestClient {
        clients.withLock { $0.append(client.http) }
        return client
    }

    func all() -> [HTTPClient] { clients.withLock { $0 } }
}

func shutdownClients(_ registry: ClientRegistry) async {
    for client in registry.all() { try? await client.shutdown() }
}
