import FacePayCore
import Foundation

/// Who a client certificate may be: the certificate's OU.
public enum DeviceRole: String, Sendable, Codable, CaseIterable {
    case terminal, kiosk, auditor
}

public enum DeviceStatus: String, Sendable, Codable {
    case active, revoked
}

/// A registered device (row of `devices`). The certificate's CN is `id`.
public struct Device: Sendable, Equatable, Codable {
    public var id: String
    public var role: DeviceRole
    public var merchantID: String?
    public var status: DeviceStatus
    public var signingPublicKey: Data?
    public var createdAt: String
    public var revokedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, role, status
        case merchantID = "merchant_id"
        case signingPublicKey = "signing_public_key"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    public init(id: String, role: DeviceRole, merchantID: String?, signingPublicKey: Data? = nil, createdAt: Date) {
        self.id = id
        self.role = role
        self.merchantID = merchantID
        self.status = .active
        self.signingPublicKey = signingPublicKey
        self.createdAt = createdAt.rfc3339
        self.revokedAt = nil
    }

    /// A row as stored (the stores build it).
    package init(id: String, role: DeviceRole, merchantID: String?, status: DeviceStatus, signingPublicKey: Data?,
         createdAt: String, revokedAt: String?) {
        self.id = id
        self.role = role
        self.merchantID = merchantID
        self.status = status
        self.signingPublicKey = signingPublicKey
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

extension Device {
    /// Device ids are what certificates carry in their CN: 1–64 characters of letters, digits,
    /// '-', '_' and '.'.
    public static func validateID(_ id: String) throws {
        let allowed = id.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95 || byte == 46
        }
        guard !id.isEmpty, id.utf8.count <= 64, allowed else {
            throw FacePayError(.badRequest, code: "invalid_device",
                               detail: "device id must be 1-64 characters of letters, digits, '-', '_' or '.'")
        }
    }

    /// What every store checks before registering a device: its id, and that exactly terminals
    /// belong to a merchant.
    public func validate() throws {
        try Self.validateID(id)
        guard (role == .terminal) == (merchantID != nil) else {
            throw FacePayError(.badRequest, code: "invalid_device",
                               detail: role == .terminal ? "a terminal needs a merchant id" : "only terminals have a merchant id")
        }
    }
}
