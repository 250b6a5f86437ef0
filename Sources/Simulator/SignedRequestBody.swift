import Liveness

/// A request body and the `Device-Signature` header value to send with it.
public struct SignedRequestBody: Sendable, Equatable {
    public let body: [UInt8]
    public let signatureHeader: String?

    /// Signs `body` with the device's key; unsigned when `signingKey` is nil.
    public init(body: [UInt8], signingKey: DeviceSigningKey?) {
        self.body = body
        self.signatureHeader = signingKey?.signatureHeader(for: body)
    }

    /// A body with an arbitrary header (attacks: missing, foreign or stale signatures).
    public init(body: [UInt8], signatureHeader: String?) {
        self.body = body
        self.signatureHeader = signatureHeader
    }
}
