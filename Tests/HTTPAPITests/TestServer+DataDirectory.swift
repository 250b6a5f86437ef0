import FacePayCore
import Foundation
import HTTPAPI
import Logging
import Payments
import ServiceLifecycle
import Storage
import Stores

/// A live server over a data directory that outlives it (the database and `template.key` stay
/// for the next start), started the way `facepay serve` starts: the key ring follows its file
/// and the galleries are loaded from the stored templates before the listener opens.
struct PersistentDataDirectory {
    let root: URL
    let authority: CertificateAuthority

    var databasePath: String { root.appendingPathComponent("facepay.sqlite").path }
    var keyFilePath: String { root.appendingPathComponent("template.key").path }

    /// A fresh directory with a CA, a server certificate and a key file of one key.
    static func make() throws -> PersistentDataDirectory {
        let root = try TestServer.temporaryDirectory()
        let authority = try CertificateAuthority.create(commonName: "Test CA")
        try authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]]).write(to: root, baseName: "server")
        try Data(authority.certificatePEM().utf8).write(to: root.appendingPathComponent("ca.pem"))
        _ = try TemplateKeyRing.load(path: root.appendingPathComponent("template.key").path, environment: [:], createIfMissing: true)
        return PersistentDataDirectory(root: root, authority: authority)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Starts a server over this directory, runs `body`, stops the server (even on failure).
    func withServer(paymentsSettings: PaymentsSettings = PaymentsSettings(),
                    _ body: @Sendable (TestServer, GalleryLoadReport, TemplateKeyRingSource) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let database = try AppDatabase.open(path: databasePath, logger: logger)
        var settings = ServerSettings(serverCertificatePath: root.appendingPathComponent("server.pem").path,
                                      serverKeyPath: root.appendingPathComponent("server.key").path,
                                      clientCAPath: root.appendingPathComponent("ca.pem").path)
        settings.apiPort = 0
        settings.opsPort = 0
        let keyRing = try TemplateKeyRingSource(path: keyFilePath, environment: [:], createIfMissing: false, logger: logger)
        let galleries = Galleries()
        let report = try galleries.load(from: SQLiteTemplateSource(database: database, keyRing: keyRing))
        let clock = ManualWallClock(Date())
        let server = try FacePayServer(settings: settings, database: database, galleries: galleries, keyRing: keyRing,
                                       paymentsSettings: paymentsSettings, clock: clock, logger: logger)
        try await TestServer.run(server, logger: logger) { ports, registry in
            try await body(TestServer(directory: root, database: database, authority: authority,
                                      apiPort: ports.api, opsPort: ports.ops, metrics: server.metrics,
                                      payments: server.payments, clock: clock, clients: registry), report, keyRing)
        }
    }
}
