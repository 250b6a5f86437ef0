import ArgumentParser
import FacePayCore

/// Turns operating failures into a one-line message and a non-zero exit, instead of a trace.
enum CommandErrors {
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FacePayError {
            throw CommandFailure(message: "\(error.detail) [\(error.code)]")
        }
    }

    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FacePayError {
            throw CommandFailure(message: "\(error.detail) [\(error.code)]")
        }
    }
}

/// A failed command: ArgumentParser prints "Error: <message>" and exits non-zero, without the
/// usage text (which is for mistyped arguments, not for failures).
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
