import Hummingbird
import Stores

/// `GET /v1/me`: who the calling certificate is — the first call a terminal installer makes.
/// `GET /openapi.json`: the OpenAPI 3.1 document of v1, for any registered device.
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

        // merchant_id is null (not absent) for kiosks and auditors, as the OpenAPI document says.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(deviceID, forKey: .deviceID)
            try container.encode(role, forKey: .role)
            try container.encode(merchantID, forKey: .merchantID)
        }
    }

    func register(on router: Router<FacePayRequestContext>) {
        router.get("v1/me") { _, context in
            let device = try context.requireDevice()
            return try JSONBody.response(MeResponse(deviceID: device.id, role: device.role.rawValue, merchantID: device.merchantID))
        }
        router.get("openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }
    }
}
