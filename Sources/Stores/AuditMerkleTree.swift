import Crypto
import Foundation

/// The Merkle tree over the audit log (LEDGER.md, "Receipts"), exactly RFC 9162 §2.1 (the
/// Certificate Transparency v2 tree) so that any CT tooling, or a few lines of SHA-256, checks it:
///
/// - the leaves are the audit events in seq order; leaf index `i` is the event of seq `i + 1`,
///   and its data is the 32 bytes of that event's chain hash (which commits to the event and to
///   every event before it);
/// - `leaf hash = SHA-256(0x00 ‖ data)`, `node hash = SHA-256(0x01 ‖ left ‖ right)`, the root of
///   the empty tree is `SHA-256("")`;
/// - a tree of `n > 1` leaves is split at the largest power of two `k < n`: the left subtree
///   holds the first `k` leaves.
///
/// The hash chain already makes every event depend on all earlier ones; what the tree adds is
/// small proofs: that today's log extends a checkpoint an auditor kept (consistency) and that an
/// event is in a checkpointed log (inclusion), each O(log n) hashes.
///
/// Ranges are of leaf indexes, half-open. This type is pure; `AuditTree` reads the hashes.
public enum AuditMerkleTree {
    public static var emptyRoot: Data { Data(SHA256.hash(data: Data())) }

    public static func leafHash(eventHash: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: eventHash)
        return Data(hasher.finalize())
    }

    public static func nodeHash(_ left: Data, _ right: Data) -> Data {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Data(hasher.finalize())
    }

    /// The largest power of two strictly below `n` (n ≥ 2): where a tree of n leaves splits.
    static func split(_ n: Int64) -> Int64 {
        precondition(n >= 2)
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// Whether `range` is one perfect subtree of the tree: a power-of-two count of leaves
    /// starting at a multiple of that count. Returns its level (log2 of the count) if so.
    static func perfectLevel(_ range: Range<Int64>) -> Int? {
        let count = range.count
        guard count > 0, count & (count - 1) == 0, range.lowerBound % Int64(count) == 0 else { return nil }
        return count.trailingZeroBitCount
    }

    /// The subtrees whose hashes make the inclusion proof of leaf `index` in a tree of `size`
    /// leaves (RFC 9162 §2.1.3.1, PATH), in proof order: nearest the leaf first.
    public static func inclusionRanges(index: Int64, size: Int64) -> [Range<Int64>] {
        precondition(index >= 0 && index < size)
        func path(_ m: Int64, _ range: Range<Int64>) -> [Range<Int64>] {
            let n = Int64(range.count)
            if n == 1 { return [] }
            let k = split(n)
            let a = range.lowerBound
            if m < k { return path(m, a..<a + k) + [a + k..<range.upperBound] }
            return path(m - k, a + k..<range.upperBound) + [a..<a + k]
        }
        return path(index, 0..<size)
    }

    /// The subtrees whose hashes make the consistency proof from a tree of `oldSize` leaves to
    /// one of `newSize` (RFC 9162 §2.1.4.1, PROOF/SUBPROOF), in proof order; empty when the
    /// sizes are equal or the old tree is empty (every tree extends the empty one).
    public static func consistencyRanges(from oldSize: Int64, to newSize: Int64) -> [Range<Int64>] {
        precondition(oldSize >= 0 && oldSize <= newSize)
        guard oldSize > 0, oldSize < newSize else { return [] }
        func subproof(_ m: Int64, _ range: Range<Int64>, _ whole: Bool) -> [Range<Int64>] {
            let n = Int64(range.count)
            if m == n { return whole ? [] : [range] }
            let k = split(n)
            let a = range.lowerBound
            if m <= k { return subproof(m, a..<a + k, whole) + [a + k..<range.upperBound] }
            return subproof(m - k, a + k..<range.upperBound, false) + [a..<a + k]
        }
        return subproof(oldSize, 0..<newSize, true)
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows the leaf hash `leaf` at `index` in the tree of
    /// `size` leaves whose root is `root`.
    public static func verifyInclusion(leaf: Data, index: Int64, size: Int64, proof: [Data], root: Data) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows that the tree of `newSize` leaves with root
    /// `newRoot` extends the tree of `oldSize` leaves with root `oldRoot`.
    public static func verifyConsistency(oldSize: Int64, oldRoot: Data, newSize: Int64, newRoot: Data, proof: [Data]) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty && oldRoot == emptyRoot }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }

    /// The root of a log read once, front to back, in O(log n) memory: the perfect subtrees of
    /// the leaves so far, largest first (the binary digits of the count). `audit verify
    /// --receipts` streams the events through one and compares its root at each receipt's size.
    public struct Accumulator: Sendable {
        private var subtrees: [(level: Int, hash: Data)] = []
        public private(set) var size: Int64 = 0

        public init() {}

        /// The accumulator of a log of `size` leaves, from the hashes of its perfect subtrees,
        /// largest first (`AuditTree.accumulator(size:)` reads them).
        init(size: Int64, subtrees: [(level: Int, hash: Data)]) {
            self.size = size
            self.subtrees = subtrees
        }

        public mutating func append(leafHash: Data) {
            var carry = (level: 0, hash: leafHash)
            while let last = subtrees.last, last.level == carry.level {
                subtrees.removeLast()
                carry = (carry.level + 1, AuditMerkleTree.nodeHash(last.hash, carry.hash))
            }
            subtrees.append(carry)
            size += 1
        }

        /// The root of the leaves appended so far: the subtrees folded from the right, as the
        /// tree splits at the largest power of two.
        public var root: Data {
            guard var hash = subtrees.last?.hash else { return AuditMerkleTree.emptyRoot }
            for subtree in subtrees.dropLast().reversed() { hash = AuditMerkleTree.nodeHash(subtree.hash, hash) }
            return hash
        }
    }
}
