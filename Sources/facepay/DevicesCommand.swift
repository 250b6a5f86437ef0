import ArgumentParser
import FacePayCore
import Foundation
import Liveness
import PostgresStorage
import Storage
import Stores

/// `facepay devices add|list|revoke`: the registry that client certificates are checked against.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Register, list and revoke devices.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a device (its certificate's CN is the id, OU the role).")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "terminal, kiosk or auditor.") var role: String
        @Option(help: "Device id (the certificate CN).") var id: String
        @Option(help: "Merchant id (terminals only).") var merchant: String?
        @Option(help: "Ed25519 public key file (PEM 'PUBLIC KEY' or base64 of 32 bytes); the device must then sign request bodies.")
        var signingKey: String?

        func run() async throws {
            guard let role = DeviceRole(rawValue: role) else {
                throw ValidationError("--role must be terminal, kiosk or auditor")
            }
            var publicKey: Data?
            if let signingKey {
                let text = try CommandErrors.run {
                    do { return try String(contentsOfFile: signingKey, encoding: .utf8) } catch {
                        throw FacePayError(.badRequest, code: "signing_key_unreadable", detail: "cannot read \(signingKey)")
                    }
                }
                publicKey = try CommandErrors.run { try DevicePublicKey(parsing: text).rawRepresentation }
            }
            let device = Device(id: id, role: role, merchantID: merchant, signingPublicKey: publicKey, createdAt: Date())
            try await CommandErrors.run { try await data.addDevice(device) }
            print("registered \(role.rawValue) \(id)\(merchant.map { " of merchant \($0)" } ?? "")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered devices.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            let devices = if let location = try CommandErrors.run({ try data.postgresLocation() }) {
                try await CommandErrors.run { try await withPostgresRecords(location) { try await $0.listDevices() } }
            } else {
                try CommandErrors.run { try data.openDatabase().listDevices() }
            }
            print("id".padding(toLength: 20, withPad: " ", startingAt: 0) + "role      merchant    status   signing-key")
            for device in devices {
                print(device.id.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + device.role.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + (device.merchantID ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0)
                      + device.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + (device.signingPublicKey == nil ? "no" : "yes"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device; its next request is refused.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "Device id.") var id: String

        func run() async throws {
            if let location = try CommandErrors.run({ try data.postgresLocation() }) {
                try await CommandErrors.run { try await withPostgresRecords(location) { try await $0.revokeDevice(id: id, now: Date()) } }
            } else {
                try CommandErrors.run { try data.openDatabase().revokeDevice(id: id, now: Date()) }
            }
            print("revoked \(id)")
        }
    }
}
