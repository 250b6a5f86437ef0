import FacePayCore
import Foundation
import Stores

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

    public init(tree: any AuditTreeStore, reader: any AuditReader, keys: AuditSigningKeySource, clock: any WallClock = SystemWallClock()) {
        self.tree = AuditTree(store: tree)
        self.reader = reader
        self.keys = keys
        self.clock = clock
    }

    /// A checkpoint of the log as it is now, signed with the current key.
    public func checkpoint() async throws -> AuditCheckpoint {
        let head = try await reader.auditHead() ?? AuditHead.genesis
        let root = try await tree.root(size: head.seq)
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
