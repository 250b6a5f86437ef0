import ArgumentParser
import FacePayCore
import Foundation
import Storage

/// `facepay keys rotate`: adds a new template key and re-seals every template under it, in small
/// transactions, while the server keeps running (each row is readable under its recorded key id
/// at every instant). `facepay keys status` lists which key ids rows still use.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Template encryption keys: rotate, status.",
        subcommands: [Rotate.self, Status.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append a new key to the key file and re-seal every template under it.")
        @OptionGroup var data: DataDirectoryOptions

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            guard environment["FACEPAY_TEMPLATE_KEY"] == nil else {
                throw CommandFailure(message: "FACEPAY_TEMPLATE_KEY is set: keys from the environment are rotated in your secret store; put the old and new key lines in a key file (FACEPAY_TEMPLATE_KEY_FILE) and run rotate again")
            }
            let path = environment["FACEPAY_TEMPLATE_KEY_FILE"] ?? data.directory.templateKeyPath
            let database = try CommandErrors.run { try data.openDatabase() }
            let existing = try CommandErrors.run { try TemplateKeyRing.load(path: path, environment: environment, createIfMissing: true) }
            let line = TemplateKeyRing.newKeyLine(now: Date())
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let ring = try CommandErrors.run { try TemplateKeyRing.parse(text + (text.hasSuffix("\n") ? "" : "\n") + line + "\n", source: path) }
            // Write the key file first: a crash after this point leaves rows under the old key,
            // which the file still holds, so nothing becomes unreadable.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(((text.hasSuffix("\n") ? "" : "\n") + line + "\n").utf8))
            try handle.synchronize()
            try handle.close()
            let count = try CommandErrors.run { try database.resealTemplates(keyRing: ring) }
            print("new key \(ring.current.id) (was \(existing.current.id)); re-sealed \(count) templates")
            print("key ids in use: \(try database.templateKeyIDsInUse().joined(separator: ", "))")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the current key id and the key ids templates use.")
        @OptionGroup var data: DataDirectoryOptions

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let database = try CommandErrors.run { try data.openDatabase() }
            let ring = try CommandErrors.run {
                try TemplateKeyRing.load(path: data.directory.templateKeyPath, environment: environment, createIfMissing: false)
            }
            print("current key: \(ring.current.id); keys configured: \(ring.keys.map(\.id).joined(separator: ", "))")
            print("key ids in use: \(try database.templateKeyIDsInUse().joined(separator: ", "))")
        }
    }
}
