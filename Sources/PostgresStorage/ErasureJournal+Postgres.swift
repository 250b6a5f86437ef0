import FacePayCore
import Foundation
import PostgresNIO
import Stores

extension ErasureJournal {
    /// Makes the shared database and this node's journal agree (see `ErasureJournal`): every
    /// journaled customer the database still holds biometrics of (a restored older backup) is
    /// erased again, audited, in one chain write; then the erasures of the database the journal
    /// lacks (made by other nodes, or lost in a crash before the append) are appended. Returns
    /// the customers erased again. A node runs it before it loads its gallery.
    @discardableResult
    public func reapply(to stores: PostgresStores, now: Date) async throws -> [String] {
        let journaled = try entries()
        let byCustomer = Dictionary(journaled.map { ($0.customerID, $0) }) { first, _ in first }
        let reapplied = try await stores.chainWrite { transaction in
            // One query for the whole journal: the customers here (a backup older than the
            // enrolment has nobody to erase) who still have what was erased.
            let still = try await PostgresRows.all(transaction.connection, """
                SELECT id FROM customers WHERE id = ANY(\(Array(byCustomer.keys)))
                AND (biometrics_erased_at IS NULL OR EXISTS (SELECT 1 FROM face_templates WHERE customer_id = customers.id))
                ORDER BY id
                """) { try $0["id"].decode(String.self) }
            for customerID in still {
                let entry = byCustomer[customerID]!
                _ = try await PostgresStores.deleteBiometrics(transaction, customerID: customerID, erasedAt: entry.erasedAt, now: now) {
                    ErasureJournal.reappliedEvent(entry, rowsDeleted: $0)
                }
            }
            return still
        }
        let erased = try await stores.database.read { connection in
            try await PostgresRows.all(connection, "SELECT id, biometrics_erased_at FROM customers WHERE biometrics_erased_at IS NOT NULL") { row in
                Entry(customerID: try row["id"].decode(String.self),
                      erasedAt: try PostgresRows.date(try row["biometrics_erased_at"].decode(String.self), "biometrics_erased_at"))
            }
        }
        try recordMissing(erased, journaled: journaled)
        if !reapplied.isEmpty { try await stores.compactAfterDeletion() }
        return reapplied
    }
}
