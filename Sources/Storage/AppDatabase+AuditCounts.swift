import Foundation
import GRDB
import Stores

/// The console overview's counts (`AuditCountStore`) in `audit_hourly_counts` (migration 0010)
/// and the event filters' index in `audit_event_keys` (0011), written in small transactions of
/// their own, outside the ledger's group commit.
extension AppDatabase: AuditCountStore {
    public func auditCountsCursor() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM audit_counts_state WHERE id = 1") ?? 0 }
    }

    public func addAuditCounts(_ increments: [AuditCountKey: Int64], keys: [AuditEventKey], cursor from: Int64, to: Int64) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE audit_counts_state SET seq = ? WHERE id = 1 AND seq = ?", arguments: [to, from])
            guard db.changesCount == 1 else { return false }
            let statement = try db.cachedStatement(sql: """
                INSERT INTO audit_hourly_counts (hour, action, label, actor, count) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (hour, action, label, actor) DO UPDATE SET count = count + excluded.count
                """)
            for (key, count) in increments {
                try statement.execute(arguments: [key.hour, key.action, key.label, key.actor, count])
            }
            let keyStatement = try db.cachedStatement(sql: "INSERT INTO audit_event_keys (kind, id, seq) VALUES (?, ?, ?)")
            for key in keys {
                try keyStatement.execute(arguments: [key.kind.rawValue, key.id, key.seq])
            }
            return true
        }
    }

    public func auditCounts(firstHour: String, lastHour: String) throws -> [AuditCountRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT hour, action, label, actor, count FROM audit_hourly_counts WHERE hour BETWEEN ? AND ?",
                             arguments: [firstHour, lastHour]).map {
                AuditCountRow(key: AuditCountKey(hour: $0["hour"], action: $0["action"], label: $0["label"], actor: $0["actor"]), count: $0["count"])
            }
        }
    }
}
