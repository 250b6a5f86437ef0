import FacePayCore
import Foundation

/// A labelled embedding from a calibration file: whose face, and the validated vector.
public struct LabelledEmbedding: Sendable, Equatable {
    public let identity: String
    public let embedding: Embedding

    public init(identity: String, embedding: Embedding) {
        self.identity = identity
        self.embedding = embedding
    }
}

/// Reads calibration data: JSON Lines, one `{"identity": "...", "embedding": [numbers]}` a line,
/// optionally gzip-compressed (`.gz`, decompressed by piping through `gzip -dc`).
///
/// Errors are `FacePayError`s with code `calibration_file_unreadable` (missing file, gzip failure)
/// or `invalid_calibration_line` (with the 1-based line number and what is wrong, never the values).
public enum LabelledEmbeddingFile {
    /// Reads and validates every line. `dimension` defaults to the first line's length; every
    /// other line must match it.
    public static func read(path: String, dimension: Int? = nil) throws(FacePayError) -> [LabelledEmbedding] {
        let data = try contents(of: path)
        return try parse(data, dimension: dimension)
    }

    /// The file's bytes, decompressed when the name ends in `.gz`.
    public static func contents(of path: String) throws(FacePayError) -> Data {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FacePayError(.badRequest, code: "calibration_file_unreadable", detail: "cannot read \(path)")
        }
        if path.hasSuffix(".gz") { return try gunzip(path) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FacePayError(.badRequest, code: "calibration_file_unreadable", detail: "cannot read \(path): \(error)")
        }
    }

    public static func parse(_ data: Data, dimension expected: Int? = nil) throws(FacePayError) -> [LabelledEmbedding] {
        struct Line: Decodable {
            let identity: String
            let embedding: [Double]
        }
        let decoder = JSONDecoder()
        var samples: [LabelledEmbedding] = []
        var dimension = expected
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            let decoded: Line
            do {
                decoded = try decoder.decode(Line.self, from: Data(trimmed))
            } catch {
                throw invalidLine(lineNumber, "not an object with a string \"identity\" and a number array \"embedding\"")
            }
            guard !decoded.identity.isEmpty else { throw invalidLine(lineNumber, "empty identity") }
            let lineDimension = dimension ?? decoded.embedding.count
            dimension = lineDimension
            do throws(FacePayError) {
                let embedding = try Embedding(validatingJSONNumbers: decoded.embedding, dimension: lineDimension)
                samples.append(LabelledEmbedding(identity: decoded.identity, embedding: embedding))
            } catch {
                throw invalidLine(lineNumber, "\(error.code): \(error.detail)")
            }
        }
        guard samples.count >= 2 else {
            throw FacePayError(.badRequest, code: "invalid_calibration_line", detail: "fewer than two embeddings in the file")
        }
        return samples
    }

    static func invalidLine(_ number: Int, _ why: String) -> FacePayError {
        FacePayError(.badRequest, code: "invalid_calibration_line", detail: "line \(number): \(why)")
    }

    private static func gunzip(_ path: String) throws(FacePayError) -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", "--", path]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw FacePayError(.badRequest, code: "calibration_file_unreadable", detail: "cannot run gzip: \(error)")
        }
        // Drain stdout before waiting, or a large file fills the pipe and gzip never exits. gzip's
        // stderr is a line or two, well within a pipe's buffer, so it can be read afterwards.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errorData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            throw FacePayError(
                .badRequest, code: "calibration_file_unreadable",
                detail: "gzip -dc \(path) failed (exit \(process.terminationStatus))\(message.isEmpty ? "" : ": \(message)")")
        }
        return data
    }
}
