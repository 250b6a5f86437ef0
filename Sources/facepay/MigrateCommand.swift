import ArgumentParser
import FacePayCore
import PostgresStorage
import Storage
import Stores

/// `facepay migrate`: applies pending migrations (serve does the same at start-up), on the data
/// directory's SQLite file or on the PostgreSQL database of `--database`.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        if let location = try CommandErrors.run({ try data.postgresLocation() }) {
            let applied = try await CommandErrors.run {
                try await withPostgres(location) { database, _ in try await database.appliedMigrations() }
            }
            print("database \(location): \(applied.count) migrations applied: \(applied.joined(separator: ", "))")
            return
        }
        let database = try CommandErrors.run { try data.openDatabase() }
        let applied = try CommandErrors.run { try database.appliedMigrations() }
        print("database \(database.path): \(applied.count) migrations applied: \(applied.joined(separator: ", "))")
    }
}
