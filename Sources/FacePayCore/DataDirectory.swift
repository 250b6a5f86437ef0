import Foundation

/// Where one FacePay installation keeps its files (`--data-dir`, env `FACEPAY_DATA_DIR`,
/// default `./facepay-data`). Every command resolves paths through this one type.
public struct DataDirectory: Sendable, Equatable {
    public static let defaultPath = "facepay-data"
    public static let environmentVariable = "FACEPAY_DATA_DIR"

    public let root: URL

    public init(path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    public var databasePath: String { root.appendingPathComponent("facepay.sqlite").path }
    public var pkiDirectory: URL { root.appendingPathComponent("pki", isDirectory: true) }
    public var caCertificatePath: String { pkiDirectory.appendingPathComponent("ca.pem").path }
    public var caKeyPath: String { pkiDirectory.appendingPathComponent("ca.key").path }
    public var serverCertificatePath: String { pkiDirectory.appendingPathComponent("server.pem").path }
    public var serverKeyPath: String { pkiDirectory.appendingPathComponent("server.key").path }
    public var templateKeyPath: String { root.appendingPathComponent("template.key").path }
    /// The Ed25519 keys that sign audit checkpoints (receipts).
    public var auditSigningKeyPath: String { root.appendingPathComponent("audit-signing.key").path }

    public func deviceCertificatePath(_ deviceID: String) -> String {
        pkiDirectory.appendingPathComponent("\(deviceID).pem").path
    }

    public func deviceKeyPath(_ deviceID: String) -> String {
        pkiDirectory.appendingPathComponent("\(deviceID).key").path
    }

    /// Creates the directory (mode 0700: it holds keys) if it does not exist.
    public func create() throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }
}
