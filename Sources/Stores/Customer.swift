import FacePayCore
import Foundation

/// An enrolled customer (a row of the customer store). Personal data, not biometric: the face lives only
/// in `FaceTemplateRow`, sealed.
public struct Customer: Sendable, Equatable, Codable {
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

    /// A row as stored (the stores read it back).
    package init(id: String, fullName: String, displayName: String, phoneE164: String, phoneLast4: String, accountID: String,
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
