import FacePayCore
import Foundation

/// Where the Merkle tree over the audit log (`AuditMerkleTree`) keeps the hashes of its larger
/// subtrees, so that a proof reads O(log² n) rows instead of the whole log.
///
/// The stored nodes are a cache derived from the events: anyone who can write the database can
/// rewrite them, as they can rewrite the events. So nothing is checked against them alone: a
/// running server compares their root with the root of the events it verified before it signs
/// (`VerifiedLog`), and `audit verify --receipts` recomputes every root from the events.
public protocol AuditTreeStore: Sendable {
    /// The chain hashes (64 hex characters) of the events with seq in `seqs`, in seq order;
    /// fewer when the log is shorter.
    func auditEventHashes(_ seqs: ClosedRange<Int64>) async throws -> [String]
    /// The stored node hashes of `level` with indexes in `indexes`, in order, up to the first one
    /// missing.
    func auditTreeNodes(level: Int, _ indexes: Range<Int64>) async throws -> [Data]
    /// How many nodes of `level` are stored (they are stored from index 0 up, without gaps).
    func auditTreeNodeCount(level: Int) async throws -> Int64
    /// Stores nodes of `level` from `firstIndex` on; nodes already there are kept (every node is
    /// a function of the events, so two writers racing store the same bytes).
    func storeAuditTreeNodes(level: Int, firstIndex: Int64, _ hashes: [Data]) async throws
}

/// The audit log's Merkle tree over an `AuditTreeStore`: its roots and proofs, and the upkeep of
/// its stored nodes.
///
/// Only every fourth level is stored (levels 4, 8, 12, …: a node per 16 leaves, one per 256, …,
/// about n/15 rows); a subtree of another level is folded from at most 8 stored nodes (or event
/// hashes) read in one range query. A node is stored once all its leaves exist, so it never
/// changes; `extend` stores the ones a new size completes, and runs before every root.
public struct AuditTree: Sendable {
    public static let levelStride = 4
    /// Leaves read per query while extending (a multiple of 16).
    static let extendChunk: Int64 = 4_096

    public let store: any AuditTreeStore

    public init(store: any AuditTreeStore) {
        self.store = store
    }

    /// Stores every node of the stored levels that the first `size` leaves complete.
    public func extend(toSize size: Int64) async throws {
        let fanOut = Int64(1) << Self.levelStride
        var childLevel = 0
        var childCount = size
        while childCount >= fanOut {
            let level = childLevel + Self.levelStride
            let complete = childCount / fanOut
            var next = try await store.auditTreeNodeCount(level: level)
            while next < complete {
                let end = min(complete, next + Self.extendChunk / fanOut)
                let children = try await hashes(level: childLevel, next * fanOut..<end * fanOut)
                var nodes: [Data] = []
                nodes.reserveCapacity(Int(end - next))
                for group in stride(from: 0, to: children.count, by: Int(fanOut)) {
                    nodes.append(Self.fold(Array(children[group..<group + Int(fanOut)])))
                }
                try await store.storeAuditTreeNodes(level: level, firstIndex: next, nodes)
                next = end
            }
            childLevel = level
            childCount = complete
        }
    }

    /// The root of the first `size` leaves (the log as it was when event `size` was its last).
    public func root(size: Int64) async throws -> Data {
        try await extend(toSize: size)
        return size == 0 ? AuditMerkleTree.emptyRoot : try await hash(of: 0..<size)
    }

    /// The inclusion proof of the event of seq `seq` in the tree of `size` leaves.
    public func inclusionProof(seq: Int64, size: Int64) async throws -> [Data] {
        try await extend(toSize: size)
        var proof: [Data] = []
        for range in AuditMerkleTree.inclusionRanges(index: seq - 1, size: size) { proof.append(try await hash(of: range)) }
        return proof
    }

    /// The consistency proof from the tree of `oldSize` leaves to the tree of `newSize`.
    public func consistencyProof(from oldSize: Int64, to newSize: Int64) async throws -> [Data] {
        try await extend(toSize: newSize)
        var proof: [Data] = []
        for range in AuditMerkleTree.consistencyRanges(from: oldSize, to: newSize) { proof.append(try await hash(of: range)) }
        return proof
    }

    /// The streaming root of the first `size` leaves, from the stored tree: its perfect
    /// subtrees, largest first (the binary digits of `size`).
    public func accumulator(size: Int64) async throws -> AuditMerkleTree.Accumulator {
        try await extend(toSize: size)
        var subtrees: [(level: Int, hash: Data)] = []
        var start: Int64 = 0
        for level in stride(from: 62, through: 0, by: -1) where size & (Int64(1) << level) != 0 {
            subtrees.append((level, try await hash(of: start..<start + (Int64(1) << level))))
            start += Int64(1) << level
        }
        return AuditMerkleTree.Accumulator(size: size, subtrees: subtrees)
    }

    /// MTH of the leaves in `range`, split as RFC 9162 splits; every piece it reads is a perfect
    /// subtree.
    func hash(of range: Range<Int64>) async throws -> Data {
        if let level = AuditMerkleTree.perfectLevel(range) {
            let stored = level - level % Self.levelStride
            let fan = Int64(1) << (level - stored)
            let first = range.lowerBound >> stored
            return Self.fold(try await hashes(level: stored, first..<first + fan))
        }
        let k = AuditMerkleTree.split(Int64(range.count))
        let a = range.lowerBound
        return AuditMerkleTree.nodeHash(try await hash(of: a..<a + k), try await hash(of: a + k..<range.upperBound))
    }

    /// The hashes of the subtrees of `level` (0: leaves; else a stored level) with indexes in
    /// `indexes`. A stored node that is missing (deleted, or not stored yet) is folded from the
    /// level below instead.
    func hashes(level: Int, _ indexes: Range<Int64>) async throws -> [Data] {
        guard !indexes.isEmpty else { return [] }
        if level == 0 {
            let hexes = try await store.auditEventHashes(indexes.lowerBound + 1...indexes.upperBound)
            guard hexes.count == indexes.count else {
                throw FacePayError(.internalFailure, code: "audit_tree_short", detail: "the audit log has fewer than \(indexes.upperBound) events")
            }
            return try hexes.map { hex in
                guard let bytes = Hex.data(hex), bytes.count == 32 else {
                    throw FacePayError(.internalFailure, code: "audit_tree_bad_hash", detail: "an audit event's hash is not 64 hex characters")
                }
                return AuditMerkleTree.leafHash(eventHash: Data(bytes))
            }
        }
        var found = try await store.auditTreeNodes(level: level, indexes)
        let fan = Int64(1) << Self.levelStride
        while found.count < indexes.count {
            let index = indexes.lowerBound + Int64(found.count)
            found.append(Self.fold(try await hashes(level: level - Self.levelStride, index * fan..<(index + 1) * fan)))
        }
        return found
    }

    /// The root of a perfect subtree from its 2^k children, left to right.
    static func fold(_ children: [Data]) -> Data {
        precondition(!children.isEmpty && children.count & (children.count - 1) == 0)
        var level = children
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { AuditMerkleTree.nodeHash(level[$0], level[$0 + 1]) }
        }
        return level[0]
    }
}
