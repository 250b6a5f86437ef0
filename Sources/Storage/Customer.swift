import FacePayCore
import Foundation
import GRDB
import Stores

/// The customer's row of `customers` (the value is the boundary's, in Stores).
extension Customer: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "customers"

    /// The customer row with that id, through a cached prepared statement (every approved
    /// payment reads one).
    public static func find(_ db: Database, id: String) throws -> Customer? {
        var statement = try RawStatement(db, """
            SELECT id, full_name, display_name, phone_e164, phone_last4, account_id, consent_version,
                   consent_accepted_at, consent_kiosk_id, created_at, biometrics_erased_at
            FROM customers WHERE id = ?
            """)
        statement.bind(id)
        return try LedgerRows.first(statement) { row in
            Customer(id: row.string(0), fullName: row.string(1), displayName: row.string(2), phoneE164: row.string(3),
                     phoneLast4: row.string(4), accountID: row.string(5), consentVersion: row.string(6),
                     consentAcceptedAt: row.string(7), consentKioskID: row.string(8), createdAt: row.string(9),
                     biometricsErasedAt: row.optionalString(10))
        }
    }
}

/// A sealed face template (row of `face_templates`): one per customer and model.
public struct FaceTemplateRow: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "face_templates"

    public var customerID: String
    public var model: String
    public var keyID: String
    public var sealed: Data
    public var createdAt: String
    public var lastUsedAt: String

    enum CodingKeys: String, CodingKey {
        case customerID = "customer_id"
        case model
        case keyID = "key_id"
        case sealed
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }

    public init(customerID: String, model: String, keyID: String, sealed: Data, now: Date) {
        self.customerID = customerID
        self.model = model
        self.keyID = keyID
        self.sealed = sealed
        self.createdAt = now.rfc3339
        self.lastUsedAt = now.rfc3339
    }
}
