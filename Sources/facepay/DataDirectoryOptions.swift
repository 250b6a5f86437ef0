import ArgumentParser
import FacePayCore
import Foundation
import Logging
import Storage
import Stores

/// `--data-dir DIR` (env FACEPAY_DATA_DIR, default ./facepay-data), shared by every command.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory (env FACEPAY_DATA_DIR; default ./facepay-data).")
    var dataDir: String?

    var directory: DataDirectory {
        DataDirectory(path: dataDir ?? ProcessInfo.processInfo.environment[DataDirectory.environmentVariable] ?? DataDirectory.defaultPath)
    }

    /// Opens the data directory's database (creating both if needed) and applies migrations.
    func openDatabase(logger: Logger = DataDirectoryOptions.quietLogger) throws -> AppDatabase {
        let directory = directory
        try directory.create()
        return try AppDatabase.open(path: directory.databasePath, logger: logger)
    }

    /// Operator commands print their own results; only warnings and errors go to the log.
    static var quietLogger: Logger {
        var logger = Logger(label: "facepay")
        logger.logLevel = .warning
        return logger
    }
}
