import ArgumentParser
import Storage
import Stores

/// `facepay migrate`: applies pending migrations (serve does the same at start-up).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var data: DataDirectoryOptions

    func run() throws {
        let database = try CommandErrors.run { try data.openDatabase() }
        let applied = try CommandErrors.run { try database.appliedMigrations() }
        print("database \(database.path): \(applied.count) migrations applied: \(applied.joined(separator: ", "))")
    }
}
