import Foundation
import NIOCore
import PostgresNIO
import Stores

/// The audit log's Merkle tree nodes (`AuditTreeStore`) in `audit_tree_nodes` (migration 0010).
/// Several nodes may extend the tree at once: every node is a function of the events, so
/// `ON CONFLICT DO NOTHING` keeps whichever wrote first, byte for byte the same.
extension PostgresStores: AuditTreeStore {
    public func auditEventHashes(_ seqs: ClosedRange<Int64>) async throws -> [String] {
        try await database.read { connection in
            try await PostgresRows.all(connection, "SELECT hash FROM audit_events WHERE seq BETWEEN \(seqs.lowerBound) AND \(seqs.upperBound) ORDER BY seq") {
                try $0["hash"].decode(String.self)
            }
        }
    }

    public func auditTreeNodes(level: Int, _ indexes: Range<Int64>) async throws -> [Data] {
        let rows = try await database.read { connection in
            try await PostgresRows.all(connection, """
                SELECT idx, hash FROM audit_tree_nodes
                WHERE level = \(Int32(level)) AND idx >= \(indexes.lowerBound) AND idx < \(indexes.upperBound) ORDER BY idx
                """) {
                (try $0["idx"].decode(Int64.self), Data(try $0["hash"].decode(ByteBuffer.self).readableBytesView))
            }
        }
        var hashes: [Data] = []
        for (index, hash) in rows {
            guard index == indexes.lowerBound + Int64(hashes.count) else { break }
            hashes.append(hash)
        }
        return hashes
    }

    public func auditTreeNodeCount(level: Int) async throws -> Int64 {
        try await database.read { connection in
            try await PostgresRows.first(connection, "SELECT COALESCE(MAX(idx) + 1, 0)::BIGINT AS count FROM audit_tree_nodes WHERE level = \(Int32(level))") {
                try $0["count"].decode(Int64.self)
            } ?? 0
        }
    }

    public func storeAuditTreeNodes(level: Int, firstIndex: Int64, _ hashes: [Data]) async throws {
        guard !hashes.isEmpty else { return }
        let buffers = hashes.map(\.bytea)
        try await database.transaction { connection in
            try await PostgresRows.execute(connection, """
                INSERT INTO audit_tree_nodes (level, idx, hash)
                SELECT \(Int32(level)), \(firstIndex) + ordinality - 1, hash FROM unnest(\(buffers)::BYTEA[]) WITH ORDINALITY AS t(hash, ordinality)
                ON CONFLICT DO NOTHING
                """)
        }
    }
}
