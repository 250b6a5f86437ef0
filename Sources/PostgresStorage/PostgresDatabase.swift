import FacePayCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Stores

/// One PostgreSQL database shared by every `facepay serve` node: a connection pool
/// (`PostgresClient`, run as a Service for as long as the node runs) and the transactions the
/// stores run on it.
///
/// Transactions are READ COMMITTED; what must not race takes row locks (`SELECT … FOR UPDATE`).
/// Every ledger write is a chain transaction whose first lock is the audit chain head
/// (`PostgresChainTransaction`, batched by `PostgresCommitBatcher`; LEDGER.md, "PostgreSQL"),
/// and the accounts a transfer touches are locked by id after it. A transaction the server aborts to break a deadlock (40P01) or a
/// serialization failure (40001) runs again, up to `retriesMax` times; its closure must
/// therefore have no effect outside the transaction.
public final class PostgresDatabase: Service, Sendable {
    public let location: PostgresLocation
    let client: PostgresClient
    let logger: Logger
    public let retriesMax: Int

    public init(location: PostgresLocation, connectionsMax: Int = 20, retriesMax: Int = 8, logger: Logger = Logger(label: "facepay.postgres")) throws {
        self.location = location
        self.logger = logger
        self.retriesMax = retriesMax
        client = PostgresClient(configuration: try location.clientConfiguration(connectionsMax: connectionsMax), backgroundLogger: logger)
    }

    /// Runs the pool until the task is cancelled (a ServiceGroup's graceful shutdown).
    public func run() async throws {
        await client.run()
    }

    /// Runs `body` while the pool runs (commands, tests, and `serve` around its ServiceGroup).
    /// A pool runs once: call this (or `run`) once per `PostgresDatabase`.
    public func whileRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await self.run(); return nil }
            defer { group.cancelAll() }
            // Let the pool's run loop start before the first lease (PostgresNIO warns otherwise).
            try await Task.sleep(for: .milliseconds(20))
            return try await body()
        }
    }

    /// SQLSTATE of a server error, nil for anything else.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A deadlock, a serialization failure, or two nodes opening the same account at once (the
    /// loser runs again and finds it).
    static func isRetryable(_ error: any Error) -> Bool {
        guard let state = sqlState(error) else { return false }
        return state == "40001" || state == "40P01"
            || (state == "23505" && (error as? PSQLError)?.serverInfo?[.constraintName] == "accounts_owner")
    }

    /// What went wrong in a transaction: the closure's own error (a refusal, a server error) when it
    /// threw, else the failed BEGIN, COMMIT or ROLLBACK.
    static func cause(_ error: any Error) -> any Error {
        guard let failure = error as? PostgresTransactionError else { return error }
        return failure.closureError ?? failure.commitError ?? failure.beginError ?? failure.rollbackError ?? error
    }

    /// One transaction, retried on deadlock or serialization failure.
    func transaction<T: Sendable>(_ work: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                do {
                    return try await client.withTransaction(logger: logger) { connection in try await work(connection) }
                } catch {
                    throw Self.cause(error)
                }
            } catch where Self.isRetryable(error) && attempt < retriesMax {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
            } catch {
                throw Self.surfaced(error)
            }
        }
    }

    func read<T: Sendable>(_ work: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await work(connection) }
        } catch {
            throw Self.translated(error)
        }
    }

    /// What a store unit's caller gets: a unique violation stays a PSQLError (the idempotency
    /// frame decides what it means), anything else from the server is translated.
    static func surfaced(_ error: any Error) -> any Error {
        sqlState(error) == "23505" ? error : translated(error)
    }

    /// A server refusal keeps its message (a CHECK or trigger named it); FacePayError passes.
    static func translated(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError else { return error }
        let message = psql.serverInfo?[.message] ?? "\(psql.code)"
        return FacePayError(.internalFailure, code: "database_error", detail: "PostgreSQL: \(message) (\(sqlState(psql) ?? "no sqlstate"))")
    }

    // MARK: Migrations

    /// Applies the PostgreSQL migrations this binary carries that the database lacks, each in its
    /// own transaction, under an advisory lock so that nodes starting together apply each once.
    /// Returns the file names applied by this call.
    @discardableResult
    public func migrate(now: Date = Date()) async throws -> [String] {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    file_name  TEXT NOT NULL,
                    checksum   TEXT NOT NULL CHECK (length(checksum) = 64),
                    applied_at TEXT NOT NULL
                )
                """, logger: logger)
            var recorded: [Migration.Applied] = []
            for try await (version, name, checksum) in try await connection.query(
                "SELECT version, file_name, checksum FROM schema_migrations ORDER BY version", logger: logger).decode((Int32, String, String).self) {
                recorded.append(Migration.Applied(version: Int(version), fileName: name, checksum: checksum))
            }
            var applied: [String] = []
            for migration in try Migration.pending(PostgresMigrations.all, applied: recorded) {
                for statement in PostgresMigrations.statements(of: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (version, file_name, checksum, applied_at)
                    VALUES (\(Int32(migration.version)), \(migration.fileName), \(migration.checksum), \(Timestamp.text(now)))
                    """, logger: logger)
                applied.append(migration.fileName)
            }
            return applied
        }
    }

    /// File names of the applied migrations, in order.
    public func appliedMigrations() async throws -> [String] {
        try await read { connection in
            var names: [String] = []
            for try await name in try await connection.query("SELECT file_name FROM schema_migrations ORDER BY version", logger: logger)
                .decode(String.self) { names.append(name) }
            return names
        }
    }

    /// "FACEPAY\0" as a number: the advisory lock the migration runs under.
    static let migrationLockKey: Int64 = 0x4641_4345_5041_5900
}

extension PostgresDatabase {
    /// Creates (or drops) a database on this server: `facepay migrate --create` and the tests'
    /// scratch databases. Names are plain identifiers (letters, digits, underscores).
    public func createDatabase(named name: String) async throws {
        try await administer("CREATE DATABASE \(try Self.identifier(name))")
    }

    public func dropDatabase(named name: String) async throws {
        try await administer("DROP DATABASE IF EXISTS \(try Self.identifier(name)) WITH (FORCE)")
    }

    /// One statement of the caller's own (administration; the tests' insider edits).
    func administer(_ sql: String) async throws {
        try await read { connection in try await PostgresRows.execute(connection, PostgresQuery(unsafeSQL: sql)) }
    }

    static func identifier(_ name: String) throws -> String {
        guard !name.isEmpty, name.utf8.count <= 63, name.utf8.allSatisfy({ $0 == 95 || (48...57).contains($0) || (97...122).contains($0) }) else {
            throw FacePayError.invalidField("database", "a database name is 1-63 lower-case letters, digits or underscores")
        }
        return name
    }
}

extension PostgresDatabase {
    /// A new, empty database named `PREFIX_<random>` on `server`, for `body` (the contract suite,
    /// the cluster tests, `bench ledger --database`), dropped afterwards whether `body` threw or
    /// not. Two short pools on the server's own database create and drop it: a pool runs once.
    public static func withScratchDatabase<T: Sendable>(on server: PostgresLocation, prefix: String,
                                                        _ body: (PostgresLocation) async throws -> T) async throws -> T {
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let creator = try PostgresDatabase(location: server, connectionsMax: 1)
        try await creator.whileRunning { try await creator.createDatabase(named: name) }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(server.with(database: name)))
        } catch {
            result = .failure(error)
        }
        let dropper = try PostgresDatabase(location: server, connectionsMax: 1)
        try await dropper.whileRunning { try await dropper.dropDatabase(named: name) }
        return try result.get()
    }
}

extension PostgresLocation {
    /// The same server and credentials, another database.
    public func with(database name: String) -> PostgresLocation {
        PostgresLocation(host: host, port: port, username: username, password: password, database: name, tls: tls,
                         rootCertificatePath: rootCertificatePath)
    }
}
