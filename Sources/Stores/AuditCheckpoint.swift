import Crypto
import FacePayCore
import Foundation

/// A signed statement of the audit log's state: "the log held `treeSize` events, its Merkle root
/// was `rootHash`, the last event's chain hash was `headHash`", at `time`, signed with the
/// Ed25519 audit signing key `keyID` (LEDGER.md, "Receipts"). An auditor who keeps one (a
/// receipt) can later prove that the log still extends it; an insider who rewrites an event and
/// recomputes every later hash cannot make it do so without the signing key.
///
/// The signature is over the UTF-8 text `signedText`: six lines, each ending in `\n`,
/// ```
/// facepay-audit-checkpoint/v1
/// tree_size <decimal>
/// root_hash <64 lowercase hex>
/// head_hash <64 lowercase hex>
/// time <RFC 3339, milliseconds, UTC>
/// key_id <key id>
/// ```
/// so `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in text -sigfile sig` checks it too.
public struct AuditCheckpoint: Codable, Sendable, Equatable {
    public static let format = "facepay-audit-checkpoint/v1"
    /// A receipt file larger than this is not one (receipts are about 400 bytes).
    public static let fileBytesMax = 16_384

    public let treeSize: Int64
    public let rootHash: String
    public let headHash: String
    public let time: String
    public let keyID: String
    /// Base64 of the 64-byte Ed25519 signature of `signedText`.
    public let signature: String

    enum CodingKeys: String, CodingKey {
        case time, signature
        case treeSize = "tree_size"
        case rootHash = "root_hash"
        case headHash = "head_hash"
        case keyID = "key_id"
    }

    public init(treeSize: Int64, rootHash: String, headHash: String, time: String, keyID: String, signature: String) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.headHash = headHash
        self.time = time
        self.keyID = keyID
        self.signature = signature
    }

    public var signedText: String {
        Self.signedText(treeSize: treeSize, rootHash: rootHash, headHash: headHash, time: time, keyID: keyID)
    }

    static func signedText(treeSize: Int64, rootHash: String, headHash: String, time: String, keyID: String) -> String {
        "\(format)\ntree_size \(treeSize)\nroot_hash \(rootHash)\nhead_hash \(headHash)\ntime \(time)\nkey_id \(keyID)\n"
    }

    /// Whether `key` signed this checkpoint (its id and its signature).
    public func isSigned(by key: AuditPublicKey) -> Bool {
        guard key.id == keyID, let signature = Data(base64Encoded: signature),
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.bytes) else { return false }
        return publicKey.isValidSignature(signature, for: Data(signedText.utf8))
    }

    /// The checkpoint's JSON, as served and as a receipt file holds it (sorted keys, one line).
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { preconditionFailure("a checkpoint always encodes") }
        return data
    }

    /// Reads a receipt file's JSON; nil when it is not a checkpoint (shape or size).
    public static func receipt(_ data: Data) -> AuditCheckpoint? {
        guard data.count <= fileBytesMax, let checkpoint = try? JSONDecoder().decode(AuditCheckpoint.self, from: data),
              checkpoint.treeSize >= 0, checkpoint.rootHash.utf8.count == 64, checkpoint.headHash.utf8.count == 64 else { return nil }
        return checkpoint
    }
}

/// An audit signing key's public half, as `facepay audit key` prints it and `GET /v1/audit/keys`
/// serves it: `<key-id> <base64 of the 32-byte Ed25519 public key>`.
public struct AuditPublicKey: Sendable, Equatable {
    public let id: String
    public let bytes: Data

    public init(id: String, bytes: Data) {
        self.id = id
        self.bytes = bytes
    }

    public var line: String { "\(id) \(bytes.base64EncodedString())" }

    /// A trusted-keys file: `line`s, `#` comments (the key files' format).
    public static func parse(_ text: String, source: String) throws -> [AuditPublicKey] {
        try KeyFile.parse(text, source: source, codePrefix: "audit_public_key").map { AuditPublicKey(id: $0.id, bytes: $0.bytes) }
    }
}
