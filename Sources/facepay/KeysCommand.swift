import ArgumentParser
import FacePayCore
import Foundation
import Storage
import Stores

/// `facepay keys rotate`: adds a new template key and re-seals every template under it, in small
/// transactions, while the server keeps running (each row is readable under its recorded key id
/// at every instant). `facepay keys status` lists which key ids rows still use, and names every
/// row that no configured key opens.
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
            // Write the key file first: a crash after this point leaves rows under the old key,
            // which the file still holds, so nothing becomes unreadable.
            let ring = try CommandErrors.run { try TemplateKeyRing.appendNewKey(toFileAt: path) }
            // Running servers stat the key file in the transaction that seals each enrolment, so
            // from here on they seal with the new key; resealTemplates repeats its pass until one
            // finds nothing left under an older key.
            let result = try CommandErrors.run { try database.resealTemplates(keyRing: ring) }
            print("new key \(ring.current.id) (was \(existing.current.id)); re-sealed \(result.resealed) templates")
            print("key ids in use: \(try database.templateKeyIDsInUse().joined(separator: ", "))")
            Status.printUndecryptable(result.undecryptable)
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
            Self.printUndecryptable(try database.undecryptableTemplates(keyRing: ring))
        }

        /// One line per template that does not open (identifiers and reason, nothing biometric):
        /// these customers are skipped by the server until their key is restored or they re-enrol.
        static func printUndecryptable(_ failures: [UndecryptableTemplate]) {
            guard !failures.isEmpty else {
                print("undecryptable templates: none")
                return
            }
            print("undecryptable templates: \(failures.count) (skipped by the server; restore the key or re-enrol the customer)")
            for failure in failures {
                print("  customer \(failure.customerID) model \(failure.model) key \(failure.keyID) reason \(failure.reason)")
            }
        }
    }
}
