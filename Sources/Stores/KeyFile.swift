import FacePayCore
import Foundation

/// The format and the file handling shared by FacePay's key files (the template keys, the audit
/// signing keys): one key per line, `<key-id> <base64 of 32 bytes>`; `#` starts a comment; the
/// **last** key is the one in use, the earlier ones are kept for what they sealed or signed.
/// Errors carry the file's own code prefix (`template_key_…`, `audit_signing_key_…`).
enum KeyFile {
    struct Line: Sendable {
        let id: String
        let bytes: Data
    }

    /// Parses the format above; `codePrefix` names the file in the errors.
    static func parse(_ text: String, source: String, codePrefix: String) throws -> [Line] {
        var lines: [Line] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if line.isEmpty { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])), bytes.count == 32,
                  parts[0].utf8.count <= 32, parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw FacePayError(.internalFailure, code: "\(codePrefix)_invalid",
                                   detail: "\(source) line \(index + 1): expected '<key-id> <base64 of 32 bytes>'")
            }
            lines.append(Line(id: String(parts[0]), bytes: bytes))
        }
        guard Set(lines.map(\.id)).count == lines.count else {
            throw FacePayError(.internalFailure, code: "\(codePrefix)_invalid", detail: "\(source): duplicate key id")
        }
        return lines
    }

    /// The file's text, "" when it does not exist. With `create`, a missing file is first
    /// created holding `create()`'s text, mode 0600 from its first byte and never overwriting
    /// one another process created meanwhile. A key that cannot be written stops the caller
    /// (`…_unwritable`): what it sealed or signed would be lost with it.
    static func readText(path: String, create: (() -> String)?, codePrefix: String, what: String) throws -> String {
        if let create, !FileManager.default.fileExists(atPath: path) {
            do {
                try SecretFile.write(Data(create().utf8), to: path, existing: .keep)
            } catch let error as FacePayError where error.code == "secret_file_exists" {
                // Another process created it meanwhile: use its keys, never overwrite them.
            } catch let error as FacePayError {
                throw FacePayError(.internalFailure, code: "\(codePrefix)_unwritable", detail: "cannot save the new \(what): \(error.detail)")
            }
        }
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw FacePayError(.internalFailure, code: "\(codePrefix)_unreadable", detail: "cannot read the \(what) at \(path)")
        }
    }

    /// Appends `line` to the file at `path` (through a symlink, to the file it points to) and
    /// returns the new text, checked by `validate` before anything is written. The file is
    /// replaced whole — 0600, atomic rename (see `SecretFile`) — so a running server re-reading
    /// it sees the old or the new version, never half a line.
    static func append(_ line: String, toFileAt path: String, codePrefix: String, what: String,
                       validate: (String) throws -> Void) throws -> String {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let text: String
        do { text = try String(contentsOfFile: target, encoding: .utf8) } catch {
            throw FacePayError(.internalFailure, code: "\(codePrefix)_unreadable", detail: "cannot read the \(what) at \(target)")
        }
        let newText = text + (text.hasSuffix("\n") || text.isEmpty ? "" : "\n") + line + "\n"
        try validate(newText)
        do {
            try SecretFile.write(Data(newText.utf8), to: target, existing: .replace)
        } catch let error as FacePayError {
            throw FacePayError(.internalFailure, code: "\(codePrefix)_unwritable", detail: "cannot save the new \(what): \(error.detail)")
        }
        return newText
    }

    /// A key id `<letter><yyyymmdd>-<random>`.
    static func newKeyID(prefix: String, now: Date) -> String {
        let stamp = now.rfc3339.prefix(10).replacingOccurrences(of: "-", with: "")
        return "\(prefix)\(stamp)-\(Identifier.make(.request).suffix(6))"
    }
}
