import FacePayCore
import Foundation
import GRDB
import Stores

extension AppDatabase {
    /// Registers a device. Device ids are what certificates carry in their CN: 1–64 characters of
    /// letters, digits, '-', '_' and '.'.
    public func addDevice(_ device: Device) throws {
        try device.validate()
        do {
            try pool.write { db in try device.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw FacePayError(.conflict, code: "device_exists", detail: "device \(device.id) is already registered")
        }
    }

    /// Registers the device unless a device with that id exists; returns whether it was added.
    @discardableResult
    public func addDeviceIfAbsent(_ device: Device) throws -> Bool {
        try pool.write { db in
            guard try Device.fetchOne(db, key: device.id) == nil else { return false }
            try device.insert(db)
            return true
        }
    }

    /// The device row, read on every request (twice per payment). One SELECT reads one
    /// consistent snapshot by itself, so it runs without GRDB's read transaction, through a
    /// cached prepared statement.
    public func device(id: String) throws -> Device? {
        try pool.unsafeRead { db in try Self.device(db, id: id) }
    }

    static func device(_ db: Database, id: String) throws -> Device? {
        var statement = try RawStatement(db, """
            SELECT id, role, merchant_id, status, signing_public_key, created_at, revoked_at FROM devices WHERE id = ?
            """)
        statement.bind(id)
        return try LedgerRows.first(statement) { row in
            let id = row.string(0)
            guard let role = DeviceRole(rawValue: row.string(1)), let status = DeviceStatus(rawValue: row.string(3)) else {
                throw FacePayError(.internalFailure, code: "device_corrupt", detail: "device \(id) has an unknown role or status")
            }
            return Device(id: id, role: role, merchantID: row.optionalString(2), status: status,
                          signingPublicKey: row.isNull(4) ? nil : row.data(4), createdAt: row.string(5),
                          revokedAt: row.optionalString(6))
        }
    }

    public func listDevices() throws -> [Device] {
        try pool.read { db in try Device.order(Column("id")).fetchAll(db) }
    }

    /// Revokes a device; its next request is refused (the identity check reads this table on
    /// every request, so no restart is needed).
    public func revokeDevice(id: String, now: Date) throws {
        try pool.write { db in
            guard var device = try Device.fetchOne(db, key: id) else {
                throw FacePayError(.notFound, code: "unknown_device", detail: "no device \(id)")
            }
            guard device.status == .active else { return }
            device.status = .revoked
            device.revokedAt = now.rfc3339
            try device.update(db)
        }
    }

    public static func validateDeviceID(_ id: String) throws {
        try Device.validateID(id)
    }

}
