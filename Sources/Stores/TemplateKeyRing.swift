import Crypto
import FacePayCore
import Foundation

/// The AES-256-GCM keys that seal face templates at rest.
///
/// Key file format (`template.key` in the data directory, or the file named by
/// FACEPAY_TEMPLATE_KEY_FILE): one key per line, `<key-id> <base64 of 32 bytes>`; `#` starts a
/// comment. Every key decrypts; the **last** key encrypts. The key id is stored on every template
/// row, so `facepay keys rotate` appends a key and re-seals each row, and old keys can be
/// removed once no row names them. FACEPAY_TEMPLATE_KEY (`<key-id> <base64>`) may supply the
/// current key instead of a file (it is then the last key).
public struct TemplateKeyRing: Sendable {
    public struct Key: Sendable {
        public let id: String
        let bytes: Data
    }

    public let keys: [Key]

    public var current: Key {
        guard let last = keys.last else { preconditionFailure("key ring is never empty") }
        return last
    }

    public init(keys: [Key]) throws {
        guard !keys.isEmpty else {
            throw FacePayError(.internalFailure, code: "template_key_missing", detail: "no template key configured")
        }
        guard Set(keys.map(\.id)).count == keys.count else {
            throw FacePayError(.internalFailure, code: "template_key_invalid", detail: "duplicate template key id")
        }
        self.keys = keys
    }

    /// Parses the key file format above.
    public static func parse(_ text: String, source: String) throws -> TemplateKeyRing {
        try TemplateKeyRing(keys: KeyFile.parse(text, source: source, codePrefix: "template_key").map { Key(id: $0.id, bytes: $0.bytes) })
    }

    /// A new random key line (`<id> <base64>`), ids `k<yyyymmdd>-<random>`.
    public static func newKeyLine(now: Date) -> String {
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        return "\(KeyFile.newKeyID(prefix: "k", now: now)) \(bytes.base64EncodedString())"
    }

    /// Loads the ring from the environment or the key file; in development mode (`createIfMissing`)
    /// a missing file is created with one fresh key, mode 0600 from its first byte. A key that
    /// cannot be written stops the caller (`template_key_unwritable`): a server that sealed
    /// templates with a key it never persisted would lose them all at its next start.
    public static func load(path: String, environment: [String: String], createIfMissing: Bool, now: Date = Date()) throws -> TemplateKeyRing {
        try parse(readText(path: path, environment: environment, createIfMissing: createIfMissing, now: now),
                  source: filePath(path: path, environment: environment))
    }

    /// The key file in force: FACEPAY_TEMPLATE_KEY_FILE, else `path`.
    public static func filePath(path: String, environment: [String: String]) -> String {
        environment["FACEPAY_TEMPLATE_KEY_FILE"] ?? path
    }

    /// The key file's text (created first if allowed and missing) followed by the environment's key.
    static func readText(path: String, environment: [String: String], createIfMissing: Bool, now: Date) throws -> String {
        let create = createIfMissing && environment["FACEPAY_TEMPLATE_KEY"] == nil
        var text = try KeyFile.readText(
            path: filePath(path: path, environment: environment),
            create: create ? { "# FacePay template keys: '<key-id> <base64 32 bytes>' per line; the last one encrypts.\n" + newKeyLine(now: now) + "\n" } : nil,
            codePrefix: "template_key", what: "template keys")
        if let fromEnvironment = environment["FACEPAY_TEMPLATE_KEY"] {
            text += "\n" + fromEnvironment
        }
        return text
    }

    /// Appends a new key to the key file at `path` (see `KeyFile.append`) and returns the ring it
    /// now holds.
    public static func appendNewKey(toFileAt path: String, now: Date = Date()) throws -> TemplateKeyRing {
        let text = try KeyFile.append(newKeyLine(now: now), toFileAt: path, codePrefix: "template_key", what: "template keys") {
            _ = try parse($0, source: path)
        }
        return try parse(text, source: path)
    }

    /// A 32-byte secret for another purpose (`label`), derived with HKDF-SHA256 from the ring's
    /// **first** key: it outlives rotations (which append keys), and changes only when that key
    /// is removed from the ring. The replay guard's projection uses it (see `ReplayCoder`).
    public func derivedSecret(label: String) -> [UInt8] {
        guard let first = keys.first else { preconditionFailure("key ring is never empty") }
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: first.bytes),
                                             info: Data(label.utf8), outputByteCount: 32)
        return derived.withUnsafeBytes { Array($0) }
    }

    /// Whether the ring holds a key with this id.
    public func hasKey(id: String) -> Bool { keys.contains { $0.id == id } }

    /// Seals a template: AES-256-GCM, a fresh 96-bit nonce, the row's identity as associated
    /// data so a sealed template cannot be moved to another customer or model.
    public func seal(_ values: [Float], customerID: String, model: String) throws -> (keyID: String, sealed: Data) {
        var plaintext = Data(capacity: values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { plaintext.append(contentsOf: $0) } }
        let key = current
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: key.bytes), authenticating: Data("\(customerID)|\(model)".utf8))
        guard let combined = box.combined else { preconditionFailure("96-bit nonce always yields a combined box") }
        return (key.id, combined)
    }

    /// Opens a sealed template; fails if the key is unknown or the row was tampered with.
    public func open(_ sealed: Data, keyID: String, customerID: String, model: String) throws -> [Float] {
        guard let key = keys.first(where: { $0.id == keyID }) else {
            throw FacePayError(.internalFailure, code: "template_key_missing", detail: "no template key with id \(keyID)")
        }
        let plaintext: Data
        do {
            plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: SymmetricKey(data: key.bytes),
                                         authenticating: Data("\(customerID)|\(model)".utf8))
        } catch {
            throw FacePayError(.internalFailure, code: "template_corrupt", detail: "template of \(customerID) does not authenticate")
        }
        guard plaintext.count % 4 == 0 else {
            throw FacePayError(.internalFailure, code: "template_corrupt", detail: "template of \(customerID) has a bad length")
        }
        return plaintext.withUnsafeBytes { buffer in
            stride(from: 0, to: buffer.count, by: 4).map {
                Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0, as: UInt32.self)))
            }
        }
    }
}
