import Foundation
import GRDB
import Stores

/// The audit log's Merkle tree nodes (`AuditTreeStore`) in `audit_tree_nodes` (migration 0009).
/// Reads on a reader connection; the inserts are their own small write transactions, outside
/// the ledger's group commit (the nodes are derived data, written after the events exist).
extension AppDatabase: AuditTreeStore {
    public func auditEventHashes(_ seqs: ClosedRange<Int64>) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT hash FROM audit_events WHERE seq BETWEEN ? AND ? ORDER BY seq",
                                arguments: [seqs.lowerBound, seqs.upperBound])
        }
    }

    public func auditTreeNodes(level: Int, _ indexes: Range<Int64>) throws -> [Data] {
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT idx, hash FROM audit_tree_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                             arguments: [level, indexes.lowerBound, indexes.upperBound])
        }
        var hashes: [Data] = []
        for row in rows {
            let index: Int64 = row["idx"]
            guard index == indexes.lowerBound + Int64(hashes.count) else { break }
            hashes.append(row["hash"])
        }
        return hashes
    }

    public func auditTreeNodeCount(level: Int) throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_tree_nodes WHERE level = ?", arguments: [level]) ?? 0
        }
    }

    public func storeAuditTreeNodes(level: Int, firstIndex: Int64, _ hashes: [Data]) throws {
        guard !hashes.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO audit_tree_nodes (level, idx, hash) VALUES (?, ?, ?)")
            for (offset, hash) in hashes.enumerated() {
                try statement.execute(arguments: [level, firstIndex + Int64(offset), hash])
            }
        }
    }
}
