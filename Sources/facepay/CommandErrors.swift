import ArgumentParser
import FacePayCore

/// Turns operating failures into a one-line message and a non-zero exit, instead of a trace.
enum CommandErrors {
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FacePayError {
            throw ValidationError("\(error.detail) [\(error.code)]")
        }
    }
}
