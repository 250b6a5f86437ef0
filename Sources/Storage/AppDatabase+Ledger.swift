import FacePayCore
import Foundation
import GRDB
import Ledger
import Stores

extension AppDatabase {
    public func auditHead() throws -> AuditHead? {
        try pool.read { db in try AuditLog.head(db) }
    }

    public func auditEvents(_ query: AuditEventQuery) throws -> AuditEventPage {
        try pool.read { db in try AuditLog.events(db, query) }
    }

    public func transfers(_ query: TransferQuery) throws -> TransferPage {
        try pool.read { db in try LedgerStore.transfers(db, query) }
    }

    public func account(id: String) throws -> Account? {
        try pool.read { db in try LedgerStore.account(db, id: id) }
    }

    public func payment(id: String) throws -> Payment? {
        try pool.read { db in try LedgerStore.payment(db, id: id) }
    }
}

extension AppDatabase: OperatorAuditLog {
    public func recordOperatorEvent(_ entry: AuditEntry, now: Date) throws -> AuditEvent {
        try pool.write { db in try AuditLog.append(db, entry, now: now) }
    }
}
