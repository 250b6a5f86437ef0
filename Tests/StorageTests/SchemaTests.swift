import FacePayCore
import Foundation
import GRDB
import Ledger
@testable import Storage
import Stores
import Testing

@Suite struct SchemaTests {
    @Test func databaseIsDurableAndMigrated() throws {
        let test = try TestDatabase()
        #expect(try test.database.writerSynchronousLevel() == 2)
        let tables = try test.database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        for table in ["accounts", "transfers", "payments", "refunds", "idempotency_records", "audit_events"] {
            #expect(tables.contains(table))
        }
        #expect(try test.count("SELECT count(*) FROM schema_migrations") == Migration.embedded.count)
        // Statement journals and sorts stay in memory (speed, and no temporary copies on disk).
        let tempStore = try test.database.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(tempStore == 2)
    }

    @Test func transfersCannotBeUpdatedOrDeleted() throws {
        let test = try TestDatabase()
        _ = try test.wallet(balanceMinor: 500)
        #expect(try test.count("SELECT count(*) FROM transfers") == 1)
        for sql in ["UPDATE transfers SET amount = 1", "DELETE FROM transfers", "UPDATE transfers SET created_at = created_at"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try test.database.pool.write { db in try db.execute(sql: sql) } }
        }
        do {
            try test.database.pool.write { db in try db.execute(sql: "DELETE FROM transfers") }
        } catch let error as DatabaseError {
            #expect(error.message?.contains("transfers are immutable") == true)
        }
        #expect(try test.count("SELECT count(*) FROM transfers WHERE amount = 500") == 1)
    }

    @Test func auditEventsCannotBeUpdatedOrDeleted() throws {
        let test = try TestDatabase()
        _ = try test.wallet(balanceMinor: 500)
        let events = try test.count("SELECT count(*) FROM audit_events")
        #expect(events >= 2)
        for sql in ["UPDATE audit_events SET detail = '{}'", "DELETE FROM audit_events WHERE seq = 1", "DELETE FROM audit_events"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try test.database.pool.write { db in try db.execute(sql: sql) } }
        }
        #expect(try test.count("SELECT count(*) FROM audit_events") == events)
    }

    @Test func schemaRefusesAnOverdraftEvenBehindTheRules() throws {
        let test = try TestDatabase()
        let wallet = try test.wallet(balanceMinor: 100)
        #expect(throws: DatabaseError.self) {
            try test.database.pool.write { db in
                try db.execute(sql: "UPDATE accounts SET debits_posted = 101 WHERE id = ?", arguments: [wallet.id])
            }
        }
    }

    @Test func schemaRefusesATransferBetweenCurrencies() throws {
        let test = try TestDatabase()
        let euros = try test.wallet(balanceMinor: 100)
        let dollars = try test.wallet(balanceMinor: 100, currency: usd)
        #expect(throws: DatabaseError.self) {
            try test.database.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO transfers (id, kind, debit_account_id, credit_account_id, amount, currency, created_at)
                    VALUES ('trf_x', 'payment', ?, ?, 1, 'EUR', '2027-01-15T08:00:00.000Z')
                    """, arguments: [euros.id, dollars.id])
            }
        }
    }
}
