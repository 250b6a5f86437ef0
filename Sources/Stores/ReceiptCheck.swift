import FacePayCore
import Foundation

/// `facepay audit verify --receipts DIR`: whether the live log extends every checkpoint an
/// auditor kept. Each receipt's signature is checked against keys the auditor trusts, then the
/// events are read once, front to back, and the Merkle root and head hash at each receipt's size
/// are recomputed from the events themselves (never from the stored tree nodes, which whoever
/// rewrote an event could have rewritten too).
public enum ReceiptCheck {
    public enum Verdict: Sendable, Equatable, CustomStringConvertible {
        case extended
        case notAReceipt
        case unknownKey(String)
        case badSignature
        case beyondLog(logSize: Int64)
        case rootDiffers(found: String)
        case headDiffers(found: String)

        public var description: String {
            switch self {
            case .extended: "the live log extends it"
            case .notAReceipt: "not a checkpoint (JSON with tree_size, root_hash, head_hash, time, key_id, signature)"
            case .unknownKey(let id): "signed with key \(id), which is not among the trusted keys"
            case .badSignature: "its signature does not verify: the receipt was altered"
            case .beyondLog(let size): "the live log has only \(size) events: it was cut"
            case .rootDiffers(let found): "the live log's Merkle root at this size is \(found): an event at or before it was rewritten"
            case .headDiffers(let found): "the live log's head hash at this size is \(found): an event at or before it was rewritten"
            }
        }
    }

    public struct Result: Sendable {
        public let name: String
        public let checkpoint: AuditCheckpoint?
        public let verdict: Verdict
    }

    /// Events read per query.
    static let pageSize: Int64 = 10_000

    /// The verdict on every receipt, ordered by tree size (then name), unreadable ones first.
    public static func check(_ files: [(name: String, data: Data)], trusted: [AuditPublicKey],
                             store: any AuditTreeStore) async throws -> [Result] {
        var results: [Result] = []
        var pending: [(name: String, checkpoint: AuditCheckpoint)] = []
        for file in files.sorted(by: { $0.name < $1.name }) {
            guard let checkpoint = AuditCheckpoint.receipt(file.data) else {
                results.append(Result(name: file.name, checkpoint: nil, verdict: .notAReceipt)); continue
            }
            guard let key = trusted.first(where: { $0.id == checkpoint.keyID }) else {
                results.append(Result(name: file.name, checkpoint: checkpoint, verdict: .unknownKey(checkpoint.keyID))); continue
            }
            guard checkpoint.isSigned(by: key) else {
                results.append(Result(name: file.name, checkpoint: checkpoint, verdict: .badSignature)); continue
            }
            pending.append((file.name, checkpoint))
        }
        pending.sort { ($0.checkpoint.treeSize, $0.name) < ($1.checkpoint.treeSize, $1.name) }

        var accumulator = AuditMerkleTree.Accumulator()
        var headHash = AuditHead.genesisHash
        var next = pending.startIndex
        func judge(upTo size: Int64) {
            while next < pending.endIndex, pending[next].checkpoint.treeSize == size {
                let (name, checkpoint) = pending[next]
                let root = Hex.string(accumulator.root)
                let verdict: Verdict = root != checkpoint.rootHash ? .rootDiffers(found: root)
                    : headHash != checkpoint.headHash ? .headDiffers(found: headHash) : .extended
                results.append(Result(name: name, checkpoint: checkpoint, verdict: verdict))
                next += 1
            }
        }
        judge(upTo: 0)
        let largest = pending.last?.checkpoint.treeSize ?? 0
        while accumulator.size < largest {
            let first = accumulator.size + 1
            let hashes = try await store.auditEventHashes(first...min(largest, first + pageSize - 1))
            if hashes.isEmpty { break }
            for hex in hashes {
                guard let bytes = Hex.data(hex), bytes.count == 32 else {
                    throw FacePayError(.internalFailure, code: "audit_tree_bad_hash", detail: "audit event \(accumulator.size + 1)'s hash is not 64 hex characters")
                }
                accumulator.append(leafHash: AuditMerkleTree.leafHash(eventHash: Data(bytes)))
                headHash = hex
                judge(upTo: accumulator.size)
            }
        }
        for (name, checkpoint) in pending[next...] {
            results.append(Result(name: name, checkpoint: checkpoint, verdict: .beyondLog(logSize: accumulator.size)))
        }
        return results
    }
}
