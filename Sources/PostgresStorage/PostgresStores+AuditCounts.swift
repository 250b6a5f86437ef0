import Foundation
import PostgresNIO
import Stores

/// The console overview's counts (`AuditCountStore`) in `audit_hourly_counts` (migration 0011) and
/// the event filters' index in `audit_event_keys` (0012).
/// Several nodes may fold at once: the cursor's compare-and-set (`seq = from`) lets one batch win,
/// and the others re-read.
extension PostgresStores: AuditCountStore {
    public func auditCountsCursor() async throws -> Int64 {
        try await database.read { connection in
            try await PostgresRows.first(connection, "SELECT seq FROM audit_counts_state WHERE id = 1") { try $0["seq"].decode(Int64.self) } ?? 0
        }
    }

    public func addAuditCounts(_ increments: [AuditCountKey: Int64], keys eventKeys: [AuditEventKey], cursor from: Int64, to: Int64) async throws -> Bool {
        let keys = Array(increments.keys)
        return try await database.transaction { connection in
            let moved = try await PostgresRows.all(connection, "UPDATE audit_counts_state SET seq = \(to) WHERE id = 1 AND seq = \(from) RETURNING seq") { _ in true }
            guard !moved.isEmpty else { return false }
            if !eventKeys.isEmpty {
                try await PostgresRows.execute(connection, """
                    INSERT INTO audit_event_keys (kind, id, seq)
                    SELECT * FROM unnest(\(eventKeys.map(\.kind.rawValue))::TEXT[], \(eventKeys.map(\.id))::TEXT[], \(eventKeys.map(\.seq))::BIGINT[])
                    """)
            }
            guard !keys.isEmpty else { return true }
            try await PostgresRows.execute(connection, """
                INSERT INTO audit_hourly_counts (hour, action, label, actor, count)
                SELECT * FROM unnest(\(keys.map(\.hour))::TEXT[], \(keys.map(\.action))::TEXT[], \(keys.map(\.label))::TEXT[],
                                     \(keys.map(\.actor))::TEXT[], \(keys.map { increments[$0]! })::BIGINT[])
                ON CONFLICT (hour, action, label, actor) DO UPDATE SET count = audit_hourly_counts.count + excluded.count
                """)
            return true
        }
    }

    public func auditCounts(firstHour: String, lastHour: String) async throws -> [AuditCountRow] {
        try await database.read { connection in
            try await PostgresRows.all(connection, "SELECT hour, action, label, actor, count FROM audit_hourly_counts WHERE hour BETWEEN \(firstHour) AND \(lastHour)") {
                AuditCountRow(key: AuditCountKey(hour: try $0["hour"].decode(String.self), action: try $0["action"].decode(String.self),
                                                 label: try $0["label"].decode(String.self), actor: try $0["actor"].decode(String.self)),
                              count: try $0["count"].decode(Int64.self))
            }
        }
    }
}
