import FacePayCore
import Foundation
import Stores
import Synchronization

/// Receipts an insider cannot rewrite (LEDGER.md, "Receipts"): signed checkpoints of the audit
/// log, and the Merkle proofs that relate a checkpoint an auditor kept to today's log.
///
/// The chain alone is verified from the database alone, so whoever can write the database can
/// rewrite an event and every later hash. A checkpoint is signed with a key kept outside the
/// database; an auditor who keeps one can later ask for a consistency proof from it and check,
/// in O(log n) hashes, that the log still extends it.
public struct AuditReceipts: Sendable {
    public let tree: AuditTree
    let reader: any AuditReader
    public let keys: AuditSigningKeySource
    let clock: any WallClock
    let verified: VerifiedLog

    public init(tree: any AuditTreeStore, reader: any AuditReader, keys: AuditSigningKeySource, clock: any WallClock = SystemWallClock()) {
        self.tree = AuditTree(store: tree)
        self.reader = reader
        self.keys = keys
        self.clock = clock
        verified = VerifiedLog()
    }

    /// A checkpoint of the log as it is now, signed with the current key — only if the log still
    /// extends what this process saw and signed before (`VerifiedLog`); 503
    /// `audit_log_inconsistent` otherwise, so a rewrite made under a running server is never
    /// signed.
    public func checkpoint() async throws -> AuditCheckpoint {
        let (head, root) = try await verified.head(tree: tree, reader: reader)
        return try keys.keys.sign(treeSize: head.seq, rootHash: root, headHash: head.hash, now: clock.now())
    }

    /// The public halves of every signing key (the current one last).
    public var publicKeys: [AuditPublicKey] { keys.keys.publicKeys }

    /// A fresh checkpoint, with the consistency proof from the tree of `oldSize` events to it
    /// and/or the inclusion proof of the event `seq` in it. Bad values are the caller's: 400.
    public func proof(from oldSize: Int64?, event seq: Int64?) async throws -> AuditProof {
        guard oldSize != nil || seq != nil else {
            throw FacePayError(.badRequest, code: "proof_unspecified", detail: "give from (a checkpoint's tree_size) and/or event (a seq)")
        }
        let checkpoint = try await checkpoint()
        let size = checkpoint.treeSize
        var consistency: AuditProof.Consistency?
        if let oldSize {
            guard oldSize >= 0 && oldSize <= size else {
                throw FacePayError(.badRequest, code: "proof_from_out_of_range", detail: "from must be between 0 and the log's size, \(size)")
            }
            consistency = AuditProof.Consistency(fromSize: oldSize, hashes: try await tree.consistencyProof(from: oldSize, to: size))
        }
        var inclusion: AuditProof.Inclusion?
        if let seq {
            guard seq >= 1 && seq <= size else {
                throw FacePayError(.badRequest, code: "proof_event_out_of_range", detail: "event must be between 1 and the log's size, \(size)")
            }
            let eventHash = try await tree.store.auditEventHashes(seq...seq).first ?? ""
            inclusion = AuditProof.Inclusion(seq: seq, eventHash: eventHash, hashes: try await tree.inclusionProof(seq: seq, size: size))
        }
        return AuditProof(checkpoint: checkpoint, consistency: consistency, inclusion: inclusion)
    }
}

/// The log as this process last verified it: the streaming Merkle root of every event up to
/// `seq`, and that event's chain hash. Started from the stored tree (what the database says when
/// the process starts, as the chain check trusts it), then advanced only by reading the new
/// events: each must follow in seq, link to the one before and hash to its hash, and the root of
/// the stored tree must equal the root computed from them. An insider who rewrites an event and
/// recomputes the later hashes while the server runs breaks the link to the head held here; one
/// who leaves stale tree nodes behind makes the two roots differ. Either way nothing is signed.
final class VerifiedLog: Sendable {
    private struct State {
        var accumulator: AuditMerkleTree.Accumulator?
        var headHash = AuditHead.genesisHash
    }

    /// One caller at a time from reading the head to keeping the new state (an actor would let
    /// a caller holding an older head in after a newer one was verified).
    private let gate = AsyncSerialGate()
    private let state = Mutex(State())

    /// Events read per query while catching up.
    static let pageSize = 1_000

    /// The head now and the Merkle root of the log up to it, verified as the type says.
    func head(tree: AuditTree, reader: any AuditReader) async throws -> (AuditHead, Data) {
        try await gate.run {
            let head = try await reader.auditHead() ?? AuditHead.genesis
            let known = state.withLock { $0 }
            guard var accumulator = known.accumulator else {
                let start = try await tree.accumulator(size: head.seq)
                state.withLock { $0 = State(accumulator: start, headHash: head.hash) }
                return (head, start.root)
            }
            guard head.seq >= accumulator.size else {
                throw Self.inconsistent("the log has \(head.seq) events, fewer than the \(accumulator.size) already verified")
            }
            var hash = known.headHash
            while accumulator.size < head.seq {
                let page = try await reader.auditEvents(AuditEventQuery(afterSeq: accumulator.size, limit: Self.pageSize))
                guard !page.events.isEmpty else { break }
                for event in page.events where event.seq <= head.seq {
                    if let problem = AuditChain.problem(with: event, seq: accumulator.size + 1, previousHash: hash) {
                        throw Self.inconsistent("the log verified up to event \(accumulator.size) no longer holds: \(problem)")
                    }
                    guard let bytes = Hex.data(event.hash), bytes.count == 32 else {
                        throw Self.inconsistent("audit event \(event.seq)'s hash is not 64 hex characters")
                    }
                    accumulator.append(leafHash: AuditMerkleTree.leafHash(eventHash: Data(bytes)))
                    hash = event.hash
                }
            }
            guard accumulator.size == head.seq, hash == head.hash else {
                throw Self.inconsistent("the audit head does not match its last event")
            }
            guard try await tree.root(size: head.seq) == accumulator.root else {
                throw Self.inconsistent("the stored Merkle tree does not match the events")
            }
            let verified = accumulator
            state.withLock { $0 = State(accumulator: verified, headHash: hash) }
            return (head, verified.root)
        }
    }

    static func inconsistent(_ why: String) -> FacePayError {
        FacePayError(.unavailable, code: "audit_log_inconsistent", detail: "no checkpoint signed: \(why)")
    }
}

/// What `GET /v1/audit/proof` answers: the checkpoint the proofs lead to, and the proofs.
public struct AuditProof: Sendable {
    public struct Consistency: Sendable {
        public let fromSize: Int64
        public let hashes: [Data]
    }

    public struct Inclusion: Sendable {
        public let seq: Int64
        /// The event's chain hash: the leaf's data.
        public let eventHash: String
        public let hashes: [Data]
    }

    public let checkpoint: AuditCheckpoint
    public let consistency: Consistency?
    public let inclusion: Inclusion?
}
