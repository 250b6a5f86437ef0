import FacePayCore
import Foundation
import HTTPAPI
import PostgresStorage
import Storage
import Stores

/// The development PKI of `facepay serve` with no flags: a CA, a server certificate for
/// localhost/127.0.0.1/::1 and client certificates for one terminal, one kiosk and one auditor,
/// all registered. Made once; a second start reuses what exists. Never used with --production.
enum DevelopmentPKI {
    struct DevelopmentDevice {
        let id: String
        let role: DeviceRole
        let merchantID: String?
    }

    static let devices = [
        DevelopmentDevice(id: "T-DEV-1", role: .terminal, merchantID: "M-DEV"),
        DevelopmentDevice(id: "K-DEV-1", role: .kiosk, merchantID: nil),
        DevelopmentDevice(id: "A-DEV-1", role: .auditor, merchantID: nil),
    ]

    /// Creates whatever is missing; returns the names of files it wrote.
    @discardableResult
    static func ensure(in directory: DataDirectory, database: AppDatabase, now: Date = Date()) throws -> [String] {
        let written = try ensureFiles(in: directory, now: now)
        for device in devices {
            try database.addDeviceIfAbsent(Device(id: device.id, role: device.role, merchantID: device.merchantID, createdAt: now))
        }
        return written
    }

    /// The same on a PostgreSQL database that several nodes share: the first node's start
    /// registers the devices, the others find them.
    @discardableResult
    static func ensure(in directory: DataDirectory, postgres: PostgresStores, now: Date = Date()) async throws -> [String] {
        let written = try ensureFiles(in: directory, now: now)
        for device in devices where try await postgres.device(id: device.id) == nil {
            do {
                try await postgres.addDevice(Device(id: device.id, role: device.role, merchantID: device.merchantID, createdAt: now))
            } catch let error as FacePayError where error.code == "device_exists" {
                continue  // another node registered it meanwhile
            }
        }
        return written
    }

    /// The CA, server and device certificate files that are missing; returns their names.
    private static func ensureFiles(in directory: DataDirectory, now: Date) throws -> [String] {
        let fileManager = FileManager.default
        var written: [String] = []
        let authority: CertificateAuthority
        if fileManager.fileExists(atPath: directory.caCertificatePath) {
            authority = try CertificateAuthority.load(certificatePath: directory.caCertificatePath, keyPath: directory.caKeyPath)
        } else {
            authority = try CertificateAuthority.create(now: now)
            // Key first, 0600 from its first byte; ca.pem (whose presence means "the CA exists")
            // last. Any failure stops start-up naming the path: a CA whose key was not saved
            // would sign certificates no later start could match.
            try CertificateFiles.createDirectory(directory.pkiDirectory)
            try SecretFile.write(Data(authority.privateKeyPEM().utf8), to: directory.caKeyPath, existing: .replace)
            try CertificateFiles.writePublic(Data(authority.certificatePEM().utf8), to: URL(fileURLWithPath: directory.caCertificatePath))
            written.append("ca.pem")
        }
        if !fileManager.fileExists(atPath: directory.serverCertificatePath) {
            let server = try authority.issueServerCertificate(
                dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]], now: now)
            try server.write(to: directory.pkiDirectory, baseName: "server")
            written.append("server.pem")
        }
        for device in devices {
            if !fileManager.fileExists(atPath: directory.deviceCertificatePath(device.id)) {
                let issued = try authority.issueDeviceCertificate(deviceID: device.id, role: device.role.rawValue, now: now)
                try issued.write(to: directory.pkiDirectory, baseName: device.id)
                written.append("\(device.id).pem")
            }
        }
        return written
    }
}
