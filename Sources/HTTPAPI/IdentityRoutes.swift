import Hummingbird
import Storage

/// `GET /v1/me`: who the calling certificate is — the first call a terminal installer makes.
struct IdentityRoutes {
    struct MeResponse: Encodable {
        let deviceID: String
        let role: String
        let merchantID: String?

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case role
            case merchantID = "merchant_id"
        }
    }

    func register(on group: RouterGroup<FacePayRequestContext>) {
        group.get("me") { _, context in
            let device = try context.requireDevice()
            return try JSONBody.response(MeResponse(deviceID: device.id, role: device.role.rawValue, merchantID: device.merchantID))
        }
    }
}
