import Foundation
import Logging

/// swift-log to standard error (standard output is for results such as the curl line).
enum LogSetup {
    static func bootstrap(level: String?) -> Logger {
        let parsed = level.flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
        var logger = Logger(label: "facepay")
        logger.logLevel = parsed
        return logger
    }
}
