import FacePayCore
import Foundation
import NIOSSL
import PostgresNIO

/// Where the PostgreSQL database is, from `--database postgres://user[:password]@host[:port]/db?sslmode=…`
/// (or `FACEPAY_DATABASE_URL`). `sslmode` follows libpq's names: `disable` (plaintext), `require`
/// (TLS, server certificate not checked), `verify-full` (TLS, certificate and host name checked
/// against the system roots or `sslrootcert=PATH`). The default is `verify-full` unless the host is
/// the loopback, where it is `disable`: a payments backend does not send its ledger in the clear by
/// accident.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, require
        case verifyFull = "verify-full"
    }

    public let host: String
    public let port: Int
    public let username: String
    public let password: String?
    public let database: String
    public let tls: TLSMode
    public let rootCertificatePath: String?

    public static func isDatabaseURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws {
        guard Self.isDatabaseURL(text), let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw FacePayError.invalidField("database", "must be postgres://user@host[:port]/database[?sslmode=disable|require|verify-full]")
        }
        guard let user = components.user, !user.isEmpty else { throw FacePayError.invalidField("database", "names no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw FacePayError.invalidField("database", "names no database") }
        self.host = host
        port = components.port ?? 5432
        username = user
        password = components.password
        self.database = database
        let items = components.queryItems ?? []
        let loopback = Self.isLoopback(host)
        if let mode = items.first(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw FacePayError.invalidField("database", "sslmode must be disable, require or verify-full (got \(mode))")
            }
            tls = parsed
        } else {
            tls = loopback ? .disable : .verifyFull
        }
        rootCertificatePath = items.first(where: { $0.name == "sslrootcert" })?.value
        if let unknown = items.first(where: { !["sslmode", "sslrootcert"].contains($0.name) }) {
            throw FacePayError.invalidField("database", "unknown parameter \(unknown.name)")
        }
    }

    init(host: String, port: Int, username: String, password: String?, database: String, tls: TLSMode, rootCertificatePath: String?) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.rootCertificatePath = rootCertificatePath
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// `--production` refuses a plaintext connection to anything but the loopback.
    public func checkProduction() throws {
        if tls == .disable && !Self.isLoopback(host) {
            throw FacePayError(.badRequest, code: "database_plaintext",
                               detail: "--production refuses a plaintext database connection to \(host); use sslmode=verify-full (or require)")
        }
    }

    /// The URL without its password, for logs and `facepay` output.
    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    func clientConfiguration(connectionsMax: Int) throws -> PostgresClient.Configuration {
        let tlsConfiguration: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsConfiguration = .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tlsConfiguration = .require(configuration)
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            if let rootCertificatePath {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificatePath))
            }
            tlsConfiguration = .require(configuration)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                         database: database, tls: tlsConfiguration)
        configuration.options.maximumConnections = connectionsMax
        configuration.options.minimumConnections = 1
        return configuration
    }
}
