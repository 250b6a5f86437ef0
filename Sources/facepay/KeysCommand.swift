import ArgumentParser
import FacePayCore
import Foundation
import PostgresStorage
import Storage
import Stores

/// `facepay keys rotate`: adds a new template key and re-seals every template under it, in small
/// transactions, while the servers keep running (each row is readable under its recorded key id
/// at every instant); `facepay keys reseal` re-seals under the file's current key without adding
/// one. `facepay keys status` lists which key ids rows still use, and names every
/// row that no configured key opens. Both work on SQLite and on PostgreSQL (`--database`); with
/// several nodes, every node's key file must gain the new key (Deploy/RUNBOOK.md, "Rotating the
/// template key").
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Template encryption keys: rotate, reseal, status.",
        subcommands: [Rotate.self, Reseal.self, Status.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append a new key to the key file and re-seal every template under it.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard environment["FACEPAY_TEMPLATE_KEY"] == nil else {
                throw CommandFailure(message: "FACEPAY_TEMPLATE_KEY is set: keys from the environment are rotated in your secret store; put the old and new key lines in a key file (FACEPAY_TEMPLATE_KEY_FILE) and run rotate again")
            }
            let path = environment["FACEPAY_TEMPLATE_KEY_FILE"] ?? data.directory.templateKeyPath
            try await CommandErrors.run {
                try await withTemplateKeyStore(data) { store in
                    let existing = try TemplateKeyRing.load(path: path, environment: environment, createIfMissing: true)
                    // Write the key file first: a crash after this point leaves rows under the old
                    // key, which the file still holds, so nothing becomes unreadable.
                    let ring = try TemplateKeyRing.appendNewKey(toFileAt: path)
                    // The file is outside the database: the log records when its key changed.
                    try await store.recordOperatorEvent(OperatorEvents.templateKeyRotation(newKeyID: ring.current.id, previousKeyID: existing.current.id),
                                                        now: Date())
                    // Running servers stat the key file in the transaction that seals each
                    // enrolment, so from here on they seal with the new key; resealTemplates
                    // repeats its pass until one finds nothing left under an older key.
                    let result = try await store.resealTemplates(keyRing: ring)
                    print("new key \(ring.current.id) (was \(existing.current.id)); re-sealed \(result.resealed) templates")
                    try await Status.printState(store, undecryptable: result.undecryptable)
                }
            }
        }
    }

    /// The re-seal alone, under the key file's current key: after a rotation rolled out to
    /// several nodes, the enrolments a node sealed with the old key before its file changed.
    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-seal every template not under the key file's current key (no new key).")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            try await withTemplateKeyStoreAndRing(data) { store, ring in
                let result = try await store.resealTemplates(keyRing: ring)
                print("re-sealed \(result.resealed) templates under \(ring.current.id)")
                try await Status.printState(store, undecryptable: result.undecryptable)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the current key id and the key ids templates use.")
        @OptionGroup var data: DataDirectoryOptions

        func run() async throws {
            try await withTemplateKeyStoreAndRing(data) { store, ring in
                print("current key: \(ring.current.id); keys configured: \(ring.keys.map(\.id).joined(separator: ", "))")
                try await Self.printState(store, undecryptable: try await store.undecryptableTemplates(keyRing: ring))
            }
        }

        /// The key ids rows use, then the rows that do not open.
        static func printState(_ store: any TemplateKeyStore, undecryptable: [UndecryptableTemplate]) async throws {
            let inUse = try await store.templateKeyIDsInUse()
            print("key ids in use: \(inUse.isEmpty ? "none (no templates)" : inUse.joined(separator: ", "))")
            printUndecryptable(undecryptable)
        }

        /// One line per template that does not open (identifiers and reason, nothing biometric):
        /// these customers are skipped by the server until their key is restored or they re-enrol.
        static func printUndecryptable(_ failures: [UndecryptableTemplate]) {
            guard !failures.isEmpty else {
                print("undecryptable templates: none")
                return
            }
            print("undecryptable templates: \(failures.count) (skipped by the server; restore the key or re-enrol the customer)")
            for failure in failures {
                print("  customer \(failure.customerID) model \(failure.model) key \(failure.keyID) reason \(failure.reason)")
            }
        }
    }
}

/// The templates' key ids on whichever backend the options name. The key ring each command uses
/// is passed to every call, so the stores' own ring is never asked.
private func withTemplateKeyStore(_ data: DataDirectoryOptions,
                                  _ body: @Sendable (any TemplateKeyStore & OperatorAuditLog) async throws -> Void) async throws {
    if let location = try data.postgresLocation() {
        try await withPostgresRecords(location) { try await body($0) }
    } else {
        try await body(try data.openDatabase())
    }
}

/// The store, and the key ring of the data directory's key file (or FACEPAY_TEMPLATE_KEY[_FILE]).
private func withTemplateKeyStoreAndRing(_ data: DataDirectoryOptions,
                                         _ body: @Sendable (any TemplateKeyStore, TemplateKeyRing) async throws -> Void) async throws {
    try await CommandErrors.run {
        try await withTemplateKeyStore(data) { store in
            let ring = try TemplateKeyRing.load(path: data.directory.templateKeyPath, environment: ProcessInfo.processInfo.environment,
                                                createIfMissing: false)
            try await body(store, ring)
        }
    }
}
