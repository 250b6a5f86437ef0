import ArgumentParser
import FacePayCore
import Foundation
import HTTPAPI
import PostgresStorage
import Storage
import Stores

/// `facepay pki init|issue`: the development CA of a data directory and device certificates it
/// signs. Production certificates follow Deploy/pki/RUNBOOK.md instead.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Development PKI: create the CA, issue device certificates.",
        subcommands: [Initialize.self, Issue.self])

    struct Initialize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "init", abstract: "Create the data directory's CA, server and development device certificates (keeps existing ones).")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            let written = if let location = try CommandErrors.run({ try data.postgresLocation() }) {
                try await CommandErrors.run {
                    try await withPostgresRecords(location) { [directory = data.directory] in try await DevelopmentPKI.ensure(in: directory, postgres: $0) }
                }
            } else {
                try CommandErrors.run { try DevelopmentPKI.ensure(in: data.directory, database: try data.openDatabase()) }
            }
            print(written.isEmpty ? "PKI already present in \(data.directory.pkiDirectory.path)"
                                  : "wrote \(written.joined(separator: ", ")) in \(data.directory.pkiDirectory.path)")
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a device certificate signed by the data directory's CA and register the device.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "terminal, kiosk or auditor.") var role: String
        @Option(help: "Device id (becomes the certificate CN).") var id: String
        @Option(help: "Merchant id (terminals only).") var merchant: String?
        @Option(help: "Directory to write ID.pem and ID.key into.") var out: String

        func run() async throws {
            guard let role = DeviceRole(rawValue: role) else {
                throw ValidationError("--role must be terminal, kiosk or auditor")
            }
            let directory = data.directory
            guard FileManager.default.fileExists(atPath: directory.caCertificatePath),
                  FileManager.default.fileExists(atPath: directory.caKeyPath) else {
                throw CommandFailure(message: "no CA in \(directory.pkiDirectory.path): run `facepay pki init` first")
            }
            let device = Device(id: id, role: role, merchantID: merchant, createdAt: Date())
            let issued = try CommandErrors.run {
                try device.validate()
                let authority = try CertificateAuthority.load(certificatePath: directory.caCertificatePath, keyPath: directory.caKeyPath)
                return try authority.issueDeviceCertificate(deviceID: id, role: role.rawValue)
            }
            try await CommandErrors.run { try await data.addDevice(device) }
            try CommandErrors.run { try issued.write(to: URL(fileURLWithPath: out, isDirectory: true), baseName: id) }
            print("wrote \(out)/\(id).pem and \(out)/\(id).key; registered \(role.rawValue) \(id)")
        }
    }
}
