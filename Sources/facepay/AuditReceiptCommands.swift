import ArgumentParser
import FacePayCore
import Foundation
import HTTPAPI
import Payments
import PostgresStorage
import Storage
import Stores

/// `facepay audit key`: prints the public halves of the audit signing keys, one
/// `<key-id> <base64>` line each (the current one last) — the trusted-keys file an auditor
/// keeps for `audit verify --receipts --trusted-keys`. `--rotate` appends a new key first (and
/// creates the file when there is none); running servers sign with it from their next
/// checkpoint, and old receipts still verify against the old keys, which stay in the file.
struct AuditKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the audit signing keys' public halves (the trusted keys of receipts); --rotate adds a key.")

    @OptionGroup var data: DataDirectoryOptions

    @Flag(help: "Append a new signing key first (creating the key file if it is missing).")
    var rotate = false

    @Flag(help: "Print the keys as JSON (the body of GET /v1/audit/keys).")
    var json = false

    func run() async throws {
        let path = data.auditSigningKeyPath
        var previousKeyID: String?
        let keys = try CommandErrors.run {
            if rotate {
                guard FileManager.default.fileExists(atPath: path) else {
                    try data.directory.create()
                    return try AuditSigningKeys.load(path: path, createIfMissing: true)
                }
                previousKeyID = try AuditSigningKeys.load(path: path, createIfMissing: false).publicKeys.last?.id
                return try AuditSigningKeys.appendNewKey(toFileAt: path)
            }
            return try AuditSigningKeys.load(path: path, createIfMissing: false)
        }
        if rotate, let newKeyID = keys.publicKeys.last?.id {
            // The key file is outside the database: the log records when the signing key changed.
            let entry = OperatorEvents.auditKeyRotation(newKeyID: newKeyID, previousKeyID: previousKeyID)
            try await CommandErrors.run { try await data.recordOperatorEvent(entry) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(AuditKeysWire(keys.publicKeys)), as: UTF8.self))
        } else {
            print("# FacePay audit signing keys (Ed25519 public keys) of \(path); the last one signs")
            for key in keys.publicKeys { print(key.line) }
        }
    }
}

/// `facepay audit checkpoint`: signs a checkpoint of the log as it is now and prints it, or with
/// `--out DIR` also saves it there as a receipt file.
struct AuditCheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Sign a checkpoint of the audit log now (the body of GET /v1/audit/checkpoint).")

    @OptionGroup var data: DataDirectoryOptions

    @Option(help: "Also save it in this folder as receipt-<tree size>-<time>.json.")
    var out: String?

    func run() async throws {
        let keys = try CommandErrors.run { try AuditSigningKeySource(path: data.auditSigningKeyPath, createIfMissing: false) }
        let checkpoint = try await CommandErrors.run {
            try await withAuditStores(data) { stores in
                try await AuditReceipts(tree: stores, reader: stores, keys: keys).checkpoint()
            }
        }
        if let out {
            let name = "receipt-\(checkpoint.treeSize)-\(checkpoint.time.replacingOccurrences(of: ":", with: "")).json"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try checkpoint.json.write(to: URL(fileURLWithPath: out).appendingPathComponent(name))
        }
        print(String(decoding: checkpoint.json, as: UTF8.self))
    }
}

/// Runs `body` over the audit reads and the tree of whichever backend the options name.
func withAuditStores<T: Sendable>(_ data: DataDirectoryOptions,
                                  _ body: @Sendable (any AuditReader & AuditTreeStore) async throws -> T) async throws -> T {
    if let location = try data.postgresLocation() {
        return try await withPostgresRecords(location) { try await body($0) }
    }
    let path = data.directory.databasePath
    guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
    return try await body(try data.openDatabase())
}
