import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores

/// Devices, and the auditor's reads, on PostgreSQL.
extension PostgresStores: DeviceRegistry, AuditReader, StoreHealth {
    public func device(id: String) async throws -> Device? {
        try await listDevices(id: id).first
    }

    /// Every device by id, or the one of `id`.
    public func listDevices(id: String? = nil) async throws -> [Device] {
        try await database.read { connection in
            try await PostgresRows.all(connection, """
                SELECT id, role, merchant_id, status, signing_public_key, created_at, revoked_at FROM devices
                WHERE \(id)::TEXT IS NULL OR id = \(id) ORDER BY id
                """) { row in
                let id = try row["id"].decode(String.self)
                guard let role = DeviceRole(rawValue: try row["role"].decode(String.self)),
                      let status = DeviceStatus(rawValue: try row["status"].decode(String.self)) else {
                    throw PostgresRows.corrupt("device \(id): bad role or status")
                }
                return Device(id: id, role: role, merchantID: try row["merchant_id"].decode(String?.self), status: status,
                              signingPublicKey: try row["signing_public_key"].decode(ByteBuffer?.self).map { Data($0.readableBytesView) },
                              createdAt: try row["created_at"].decode(String.self), revokedAt: try row["revoked_at"].decode(String?.self))
            }
        }
    }

    /// Revokes a device; every node refuses its next request (each reads the row per request).
    public func revokeDevice(id: String, now: Date) async throws {
        let found = try await database.transaction { connection in
            try await PostgresRows.all(connection, """
                UPDATE devices SET status = 'revoked', revoked_at = coalesce(revoked_at, \(now.rfc3339)) WHERE id = \(id) RETURNING id
                """) { _ in () }.count
        }
        if found == 0 { throw FacePayError(.notFound, code: "unknown_device", detail: "no device \(id)") }
    }

    /// Registers a device (`facepay devices add`); a second with the same id is 409 `device_exists`.
    public func addDevice(_ device: Device) async throws {
        try device.validate()
        do {
            try await database.transaction { connection in
                try await PostgresRows.execute(connection, """
                    INSERT INTO devices (id, role, merchant_id, status, signing_public_key, created_at, revoked_at)
                    VALUES (\(device.id), \(device.role.rawValue), \(device.merchantID), \(device.status.rawValue),
                            \(device.signingPublicKey?.bytea), \(device.createdAt), \(device.revokedAt))
                    """)
            }
        } catch where PostgresDatabase.sqlState(error) == "23505" {
            throw FacePayError(.conflict, code: "device_exists", detail: "device \(device.id) is already registered")
        }
    }

    public func isReady() async -> Bool {
        (try? await database.read { connection in
            try await PostgresRows.first(connection, "SELECT 1 AS one") { try $0["one"].decode(Int32.self) }
        }) == 1
    }

    public func account(id: String) async throws -> Account? {
        try await database.read { connection in try await PostgresRows.account(connection, id: id) }
    }

    /// Transfers oldest first, in pages; the same conditions as SQLite's (ids sort by time).
    public func transfers(_ query: TransferQuery) async throws -> TransferPage {
        precondition(query.limit > 0, "page size must be positive")
        var conditions = [query.newestFirst ? "seq < $1" : "seq > $1"]
        var bindings = PostgresBindings()
        let cursor: Int64 = query.afterSeq ?? (query.newestFirst ? Int64.max : 0)
        bindings.append(cursor)
        func add(_ condition: String, _ value: String) {
            bindings.append(value)
            conditions.append("\(condition) $\(bindings.count)")
        }
        if let merchantID = query.merchantID { add("merchant_id =", merchantID) }
        if let deviceID = query.deviceID { add("device_id =", deviceID) }
        if let paymentID = query.paymentID { add("payment_id =", paymentID) }
        if let since = query.since { add("id >=", LedgerIdentifier.lowerBound(.transfer, at: since)) }
        if let until = query.until { add("id <", LedgerIdentifier.lowerBound(.transfer, at: until)) }
        if let accountID = query.accountID {
            bindings.append(accountID)
            conditions.append("(debit_account_id = $\(bindings.count) OR credit_account_id = $\(bindings.count))")
        }
        bindings.append(Int64(query.limit + 1))
        let sql = "SELECT \(PostgresRows.transferColumns) FROM transfers WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq \(query.newestFirst ? "DESC" : "ASC") LIMIT $\(bindings.count)"
        let rows = try await database.read { connection in
            try await PostgresRows.all(connection, PostgresQuery(unsafeSQL: sql, binds: bindings)) {
                (try PostgresRows.transfer($0), try $0["seq"].decode(Int64.self))
            }
        }
        let page = rows.prefix(query.limit)
        return TransferPage(transfers: page.map(\.0), nextCursor: rows.count > query.limit ? page.last?.1 : nil)
    }

    public func auditEvents(_ query: AuditEventQuery) async throws -> AuditEventPage {
        precondition(query.limit > 0, "page size must be positive")
        var conditions = ["e.seq > $1"]
        var bindings = PostgresBindings()
        bindings.append(query.afterSeq ?? 0)
        // A device or customer filter reads `audit_event_keys` (filled by `AuditCounts.catchUp`):
        // the first key's rows, in seq order, drive the read; a second is an indexed probe.
        var from = "audit_events e"
        for (index, key) in query.keys.enumerated() {
            bindings.append(key.kind.rawValue)
            bindings.append(key.id)
            if index == 0 {
                from = "audit_event_keys k JOIN audit_events e ON e.seq = k.seq"
                conditions.append("k.kind = $\(bindings.count - 1) AND k.id = $\(bindings.count) AND k.seq > $1")
            } else {
                conditions.append("EXISTS (SELECT 1 FROM audit_event_keys k2 WHERE k2.kind = $\(bindings.count - 1) AND k2.id = $\(bindings.count) AND k2.seq = e.seq)")
            }
        }
        if let since = query.since {
            bindings.append(LedgerIdentifier.lowerBound(.event, at: since))
            conditions.append("e.event_id >= $\(bindings.count)")
        }
        if let until = query.until {
            bindings.append(LedgerIdentifier.lowerBound(.event, at: until))
            conditions.append("e.event_id < $\(bindings.count)")
        }
        if let action = query.action {
            bindings.append(action)
            conditions.append("e.action = $\(bindings.count)")
        }
        bindings.append(Int64(query.limit + 1))
        let sql = """
            SELECT e.seq, e.event_id, e.time, e.actor, e.action, e.subject, e.detail, e.prev_hash, e.hash FROM \(from)
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(query.keys.isEmpty ? "e" : "k").seq LIMIT $\(bindings.count)
            """
        let rows = try await database.read { connection in
            try await PostgresRows.all(connection, PostgresQuery(unsafeSQL: sql, binds: bindings), Self.event)
        }
        let events = Array(rows.prefix(query.limit))
        return AuditEventPage(events: events, nextCursor: rows.count > query.limit ? events.last?.seq : nil)
    }

    static func event(_ row: PostgresRandomAccessRow) throws -> AuditEvent {
        AuditEvent(seq: try row["seq"].decode(Int64.self), eventID: try row["event_id"].decode(String.self),
                   time: try row["time"].decode(String.self), actor: try row["actor"].decode(String.self),
                   action: try row["action"].decode(String.self), subject: try row["subject"].decode(String.self),
                   detail: try row["detail"].decode(String.self), prevHash: try row["prev_hash"].decode(String.self),
                   hash: try row["hash"].decode(String.self))
    }

    public func auditHead() async throws -> AuditHead? {
        try await database.read { connection in
            try await PostgresRows.first(connection, "SELECT seq, hash FROM audit_chain_head WHERE id = 1 AND seq > 0") {
                AuditHead(seq: try $0["seq"].decode(Int64.self), hash: try $0["hash"].decode(String.self))
            }
        }
    }
}
