import FacePayCore
import Foundation
import GRDB

/// An enrolled customer (row of `customers`). Personal data, not biometric: the face lives only
/// in `FaceTemplateRow`, sealed.
public struct Customer: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "customers"

    public var id: String
    public var fullName: String
    public var displayName: String
    public var phoneE164: String
    public var phoneLast4: String
    public var accountID: String
    public var consentVersion: String
    public var consentAcceptedAt: String
    public var consentKioskID: String
    public var createdAt: String
    public var biometricsErasedAt: String?

    enum CodingKeys: String, CodingKey {
        case id
        case fullName = "full_name"
        case displayName = "display_name"
        case phoneE164 = "phone_e164"
        case phoneLast4 = "phone_last4"
        case accountID = "account_id"
        case consentVersion = "consent_version"
        case consentAcceptedAt = "consent_accepted_at"
        case consentKioskID = "consent_kiosk_id"
        case createdAt = "created_at"
        case biometricsErasedAt = "biometrics_erased_at"
    }

    public init(id: String, fullName: String, phoneE164: String, accountID: String,
                consentVersion: String, consentKioskID: String, now: Date) {
        self.id = id
        self.fullName = fullName
        self.displayName = Customer.initials(of: fullName)
        self.phoneE164 = phoneE164
        self.phoneLast4 = String(phoneE164.suffix(4))
        self.accountID = accountID
        self.consentVersion = consentVersion
        self.consentAcceptedAt = now.rfc3339
        self.consentKioskID = consentKioskID
        self.createdAt = now.rfc3339
        self.biometricsErasedAt = nil
    }

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

    /// A row as stored.
    init(id: String, fullName: String, displayName: String, phoneE164: String, phoneLast4: String, accountID: String,
         consentVersion: String, consentAcceptedAt: String, consentKioskID: String, createdAt: String,
         biometricsErasedAt: String?) {
        self.id = id
        self.fullName = fullName
        self.displayName = displayName
        self.phoneE164 = phoneE164
        self.phoneLast4 = phoneLast4
        self.accountID = accountID
        self.consentVersion = consentVersion
        self.consentAcceptedAt = consentAcceptedAt
        self.consentKioskID = consentKioskID
        self.createdAt = createdAt
        self.biometricsErasedAt = biometricsErasedAt
    }

    /// "Jane Doe" → "J. D." (at most three initials): enough for the cashier, not a full name.
    public static func initials(of name: String) -> String {
        let parts = name.split(whereSeparator: { $0 == " " || $0 == "-" }).prefix(3)
        let text = parts.compactMap { $0.first.map { "\($0.uppercased())." } }.joined(separator: " ")
        return text.isEmpty ? "?" : text
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
