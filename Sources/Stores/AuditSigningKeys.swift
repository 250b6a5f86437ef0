import Crypto
import FacePayCore
import Foundation
import Synchronization

/// The Ed25519 keys that sign audit checkpoints, kept in a key file outside the database
/// (`audit-signing.key` in the data directory, or the file named by
/// FACEPAY_AUDIT_SIGNING_KEY_FILE): the key files' format (`KeyFile`), each line a key id and
/// the base64 of a 32-byte Ed25519 private key; the **last** key signs, every key's public half
/// stays published so that receipts signed before a rotation still verify.
public struct AuditSigningKeys: Sendable {
    public struct Key: Sendable {
        public let id: String
        /// The private key's 32 bytes (CryptoKit's key type is not Sendable; it is made per use).
        let seed: Data
        public let publicKey: AuditPublicKey

        init(id: String, seed: Data) throws {
            self.id = id
            self.seed = seed
            publicKey = AuditPublicKey(id: id, bytes: try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation)
        }
    }

    public static let environmentVariable = "FACEPAY_AUDIT_SIGNING_KEY_FILE"
    static let codePrefix = "audit_signing_key"
    static let what = "audit signing keys"

    public let keys: [Key]

    public var current: Key {
        guard let last = keys.last else { preconditionFailure("key ring is never empty") }
        return last
    }

    public var publicKeys: [AuditPublicKey] { keys.map(\.publicKey) }

    public static func parse(_ text: String, source: String) throws -> AuditSigningKeys {
        let lines = try KeyFile.parse(text, source: source, codePrefix: codePrefix)
        guard !lines.isEmpty else {
            throw FacePayError(.internalFailure, code: "\(codePrefix)_missing", detail: "no audit signing key in \(source); create one with `facepay audit key --rotate` (or set \(environmentVariable))")
        }
        return AuditSigningKeys(keys: try lines.map { line in
            do {
                return try Key(id: line.id, seed: line.bytes)
            } catch {
                throw FacePayError(.internalFailure, code: "\(codePrefix)_invalid", detail: "\(source): key \(line.id) is not an Ed25519 private key")
            }
        })
    }

    /// The key file in force: FACEPAY_AUDIT_SIGNING_KEY_FILE, else `path`.
    public static func filePath(path: String, environment: [String: String]) -> String {
        environment[environmentVariable] ?? path
    }

    /// Loads the keys; with `createIfMissing` (development) a missing file is created with one
    /// fresh key.
    public static func load(path: String, createIfMissing: Bool, now: Date = Date()) throws -> AuditSigningKeys {
        let text = try KeyFile.readText(
            path: path,
            create: createIfMissing ? { "# FacePay audit signing keys (Ed25519): '<key-id> <base64 32 bytes>' per line; the last one signs.\n" + newKeyLine(now: now) + "\n" } : nil,
            codePrefix: codePrefix, what: what)
        return try parse(text, source: path)
    }

    /// Appends a new key (it signs from now on) and returns the keys the file now holds.
    public static func appendNewKey(toFileAt path: String, now: Date = Date()) throws -> AuditSigningKeys {
        let text = try KeyFile.append(newKeyLine(now: now), toFileAt: path, codePrefix: codePrefix, what: what) {
            _ = try parse($0, source: path)
        }
        return try parse(text, source: path)
    }

    /// A new random key line, ids `a<yyyymmdd>-<random>`.
    public static func newKeyLine(now: Date) -> String {
        "\(KeyFile.newKeyID(prefix: "a", now: now)) \(Curve25519.Signing.PrivateKey().rawRepresentation.base64EncodedString())"
    }

    /// Signs the state `(treeSize, rootHash, headHash)` at `now` with the current key.
    public func sign(treeSize: Int64, rootHash: Data, headHash: String, now: Date) throws -> AuditCheckpoint {
        let key = current
        let time = Timestamp.text(now)
        let root = Hex.string(rootHash)
        let text = AuditCheckpoint.signedText(treeSize: treeSize, rootHash: root, headHash: headHash, time: time, keyID: key.id)
        let signature = try Curve25519.Signing.PrivateKey(rawRepresentation: key.seed).signature(for: Data(text.utf8))
        return AuditCheckpoint(treeSize: treeSize, rootHash: root, headHash: headHash, time: time, keyID: key.id,
                               signature: signature.base64EncodedString())
    }
}

/// The signing keys a running server uses, re-read when the key file changes (one stat per
/// checkpoint), so `facepay audit key --rotate` beside a running server takes effect at its
/// next checkpoint. A file that no longer parses keeps the keys in force.
public final class AuditSigningKeySource: Sendable {
    public let filePath: String
    private let state: Mutex<(keys: AuditSigningKeys, loaded: FileIdentity?)>

    public init(path: String, createIfMissing: Bool, now: Date = Date()) throws {
        filePath = path
        let identity = FileIdentity.of(path)
        let keys = try AuditSigningKeys.load(path: path, createIfMissing: createIfMissing, now: now)
        state = Mutex((keys, identity ?? FileIdentity.of(path)))
    }

    /// The keys in force, after re-reading the file if it changed.
    public var keys: AuditSigningKeys {
        let identity = FileIdentity.of(filePath)
        return state.withLock { state in
            if let identity, identity != state.loaded, let fresh = try? AuditSigningKeys.load(path: filePath, createIfMissing: false) {
                state = (fresh, identity)
            }
            return state.keys
        }
    }
}
