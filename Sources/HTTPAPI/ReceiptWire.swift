import FacePayCore
import Foundation
import Payments
import Stores

/// `GET /v1/audit/keys` (and `facepay audit key --json`): every audit signing key's public half,
/// the current (signing) one last.
public struct AuditKeysWire: Encodable {
    struct Key: Encodable {
        let keyID: String
        /// Base64 of the 32-byte Ed25519 public key.
        let publicKey: String
        let current: Bool

        enum CodingKeys: String, CodingKey {
            case current
            case keyID = "key_id"
            case publicKey = "public_key"
        }
    }

    let keys: [Key]

    public init(_ keys: [AuditPublicKey]) {
        self.keys = keys.enumerated().map { index, key in
            Key(keyID: key.id, publicKey: key.bytes.base64EncodedString(), current: index == keys.count - 1)
        }
    }
}

/// `GET /v1/audit/proof`: the checkpoint the proofs lead to, and the proofs (hashes as hex, in
/// RFC 9162's proof order).
struct AuditProofWire: Encodable {
    struct Consistency: Encodable {
        let fromSize: Int64
        let toSize: Int64
        let hashes: [String]

        enum CodingKeys: String, CodingKey {
            case hashes
            case fromSize = "from_size"
            case toSize = "to_size"
        }
    }

    struct Inclusion: Encodable {
        let seq: Int64
        let leafIndex: Int64
        let eventHash: String
        let treeSize: Int64
        let hashes: [String]

        enum CodingKeys: String, CodingKey {
            case seq, hashes
            case leafIndex = "leaf_index"
            case eventHash = "event_hash"
            case treeSize = "tree_size"
        }
    }

    let checkpoint: AuditCheckpoint
    let consistency: Consistency?
    let inclusion: Inclusion?

    init(_ proof: AuditProof) {
        checkpoint = proof.checkpoint
        let size = proof.checkpoint.treeSize
        consistency = proof.consistency.map {
            Consistency(fromSize: $0.fromSize, toSize: size, hashes: $0.hashes.map { Hex.string($0) })
        }
        inclusion = proof.inclusion.map {
            Inclusion(seq: $0.seq, leafIndex: $0.seq - 1, eventHash: $0.eventHash, treeSize: size, hashes: $0.hashes.map { Hex.string($0) })
        }
    }
}
