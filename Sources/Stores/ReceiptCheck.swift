import FacePayCore
import Foundation

/// `facepay audit verify --receipts DIR`: whether the live log extends every checkpoint an
/// auditor kept. Each receipt's signature is checked against keys the auditor trusts, then the
/// events are read once, front to back — each must follow in seq, link to the one before and
/// hash to its stored hash (the chain check, from the first event, trusting no stored state) —
/// and the Merkle root and head hash at each receipt's size are recomputed from them (never from
/// the stored tree nodes, which whoever rewrote an event could have left or rewritten).
public enum ReceiptCheck {
    public enum Verdict: Sendable, Equatable, CustomStringConvertible {
        case extended
        case notAReceipt
        case unknownKey(String)
        case badSignature
        case beyondLog(logSize: Int64)
        case rootDiffers(found: String)
        case headDiffers(found: String)
        /// The chain itself breaks at or before the receipt's size (an event edited without
        /// recomputing the hashes, one missing, a link broken).
        case chainBroken(String)

        public var description: String {
            switch self {
            case .extended: "the live log extends it"
            case .notAReceipt: "not a checkpoint (JSON with tree_size, root_hash, head_hash, time, key_id, signature)"
            case .unknownKey(let id): "signed with key \(id), which is not among the trusted keys"
            case .badSignature: "its signature does not verify: the receipt was altered"
            case .beyondLog(let size): "the live log has only \(size) events: it was cut"
            case .rootDiffers(let found): "the live log's Merkle root at this size is \(found): an event at or before it was rewritten"
            case .headDiffers(let found): "the live log's head hash at this size is \(found): an event at or before it was rewritten"
            case .chainBroken(let why): "the live log's chain breaks before this size: \(why)"
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
                             reader: any AuditReader) async throws -> [Result] {
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
        var broken: String?
        reading: while accumulator.size < largest {
            let page = try await reader.auditEvents(AuditEventQuery(afterSeq: accumulator.size, limit: Int(min(pageSize, largest - accumulator.size))))
            if page.events.isEmpty { break }
            for event in page.events {
                let seq = accumulator.size + 1
                broken = AuditChain.problem(with: event, seq: seq, previousHash: headHash)
                guard broken == nil, let bytes = Hex.data(event.hash), bytes.count == 32 else {
                    broken = broken ?? "audit event \(seq)'s hash is not 64 hex characters"
                    break reading
                }
                accumulator.append(leafHash: AuditMerkleTree.leafHash(eventHash: Data(bytes)))
                headHash = event.hash
                judge(upTo: accumulator.size)
            }
        }
        for (name, checkpoint) in pending[next...] {
            results.append(Result(name: name, checkpoint: checkpoint,
                                  verdict: broken.map { .chainBroken($0) } ?? .beyondLog(logSize: accumulator.size)))
        }
        return results
    }
}
