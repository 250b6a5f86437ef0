import FacePayWire
import Foundation
import Stores

/// Who is calling and exactly what they sent: the authenticated device, the raw body bytes
/// (signatures and idempotency fingerprints are over these), the signature header, the
/// Idempotency-Key, and the method and path (part of the fingerprint).
public struct Caller: Sendable {
    public let device: Device
    public let body: [UInt8]
    public let signature: String?
    public let idempotencyKey: String?
    public let method: String
    public let path: String

    public init(device: Device, body: [UInt8], signature: String?, idempotencyKey: String?, method: String, path: String) {
        self.device = device
        self.body = body
        self.signature = signature
        self.idempotencyKey = idempotencyKey
        self.method = method
        self.path = path
    }
}

/// What a use case answers: an HTTP status and a JSON body, exactly as stored for idempotent
/// replay. `replayed` is true when it is the stored answer to an earlier identical request.
public struct UseCaseResponse: Sendable, Equatable {
    public let status: Int
    public let body: Data
    public let replayed: Bool

    public init(status: Int, body: Data, replayed: Bool = false) {
        // Asserted here, where the status is the use case's answer; the store keeps it opaque.
        precondition((100...599).contains(status), "not an HTTP status: \(status)")
        self.status = status
        self.body = body
        self.replayed = replayed
    }
}

extension UseCaseResponse {
    init(_ response: IdempotentResponse) {
        self.init(status: response.status, body: response.body, replayed: response.replayed)
    }
}

extension StoredResponse {
    /// A JSON answer to store, encoded at the edge's one encoder.
    static func json(_ status: Int, _ value: some Encodable) throws -> StoredResponse {
        StoredResponse(status: status, body: try WireBody.encode(value))
    }
}
