import ArgumentParser
import FacePayCore
import Foundation
import Logging
import PostgresStorage
import Storage
import Stores

/// `--data-dir DIR` (env FACEPAY_DATA_DIR, default ./facepay-data) and `--database URL` (env
/// FACEPAY_DATABASE_URL; default the SQLite file of the data directory), shared by every command.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (env FACEPAY_DATA_DIR; default ./facepay-data).")
    var dataDir: String?

    @Option(name: .long, help: "PostgreSQL database postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|require|verify-full] instead of the data directory's SQLite file (env FACEPAY_DATABASE_URL).")
    var database: String?

    /// The PostgreSQL database named by `--database` or FACEPAY_DATABASE_URL; nil means SQLite.
    func postgresLocation() throws -> PostgresLocation? {
        guard let text = database ?? ProcessInfo.processInfo.environment["FACEPAY_DATABASE_URL"], !text.isEmpty else { return nil }
        return try PostgresLocation(url: text)
    }

    /// For the commands that work on SQLite only so far: a clear refusal instead of silently
    /// using the data directory's file.
    func requireSQLite(_ command: String) throws {
        if try postgresLocation() != nil {
            throw FacePayError(.badRequest, code: "postgres_unsupported",
                               detail: "\(command) does not work on PostgreSQL yet; run it without --database / FACEPAY_DATABASE_URL")
        }
    }

    var directory: DataDirectory {
        DataDirectory(path: dataDir ?? ProcessInfo.processInfo.environment[DataDirectory.environmentVariable] ?? DataDirectory.defaultPath)
    }

    /// The audit signing key file: FACEPAY_AUDIT_SIGNING_KEY_FILE, else the data directory's.
    var auditSigningKeyPath: String {
        AuditSigningKeys.filePath(path: directory.auditSigningKeyPath, environment: ProcessInfo.processInfo.environment)
    }

    /// Opens the data directory's database (creating both if needed) and applies migrations.
    func openDatabase(logger: Logger = DataDirectoryOptions.quietLogger) throws -> AppDatabase {
        try requireSQLite("this command")
        let directory = directory
        try directory.create()
        return try AppDatabase.open(path: directory.databasePath, logger: logger)
    }

    /// Appends an operator's event (a key rotation) on whichever backend the options name.
    func recordOperatorEvent(_ entry: AuditEntry) async throws {
        if let location = try postgresLocation() {
            _ = try await withPostgresRecords(location) { try await $0.recordOperatorEvent(entry, now: Date()) }
        } else {
            _ = try openDatabase().recordOperatorEvent(entry, now: Date())
        }
    }

    /// Registers a device on whichever backend the options name (409 `device_exists` when its id is taken).
    func addDevice(_ device: Device) async throws {
        if let location = try postgresLocation() {
            try await withPostgresRecords(location) { try await $0.addDevice(device) }
        } else {
            try openDatabase().addDevice(device)
        }
    }

    /// Registers the devices that are not registered yet, on whichever backend the options name;
    /// returns how many it added.
    @discardableResult
    func addDevicesIfAbsent(_ devices: [Device]) async throws -> Int {
        guard let location = try postgresLocation() else {
            let database = try openDatabase()
            return try devices.reduce(0) { try database.addDeviceIfAbsent($1) ? $0 + 1 : $0 }
        }
        return try await withPostgresRecords(location) { stores in
            var added = 0
            for device in devices where try await stores.device(id: device.id) == nil {
                do {
                    try await stores.addDevice(device)
                    added += 1
                } catch let error as FacePayError where error.code == "device_exists" {
                    continue  // registered meanwhile by another node or command
                }
            }
            return added
        }
    }

    /// Operator commands print their own results; only warnings and errors go to the log.
    static var quietLogger: Logger {
        var logger = Logger(label: "facepay")
        logger.logLevel = .warning
        return logger
    }
}

/// A PostgreSQL database for the length of a command: the pool runs while `body` does, and the
/// migrations are applied first (serve and migrate do the same as on SQLite).
func withPostgres<T: Sendable>(_ location: PostgresLocation, production: Bool = false, logger: Logger = DataDirectoryOptions.quietLogger,
                               _ body: @Sendable (PostgresDatabase, _ applied: [String]) async throws -> T) async throws -> T {
    if production { try location.checkProduction() }
    let database = try PostgresDatabase(location: location, logger: logger)
    return try await database.whileRunning {
        let applied = try await database.migrate()
        for name in applied { logger.info("applied migration", metadata: ["migration": .string(name)]) }
        return try await body(database, applied)
    }
}

/// The PostgreSQL stores for a command that reads or writes no template (devices, the audit
/// check): their key ring is never asked, so a throwaway one serves.
func withPostgresRecords<T: Sendable>(_ location: PostgresLocation, _ body: @Sendable (PostgresStores) async throws -> T) async throws -> T {
    try await withPostgres(location) { database, _ in
        let unusedKeyRing = TemplateKeyRingSource(fixed: try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "records only"))
        return try await body(PostgresStores(database: database, keyRing: unusedKeyRing))
    }
}
