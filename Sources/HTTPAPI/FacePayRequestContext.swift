import FacePayCore
import Hummingbird
import Logging
import NIOCore
import Stores

/// Per-request state: the TLS channel (to read the client certificate), the authenticated device
/// once `ClientIdentityMiddleware` has run, and the request id that every log line carries.
public struct FacePayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    public var device: Device?
    public var requestID: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        device = nil
        requestID = Identifier.make(.request)
    }

    /// The authenticated device; routes behind `ClientIdentityMiddleware` always have one.
    public func requireDevice() throws -> Device {
        guard let device else {
            throw FacePayError(.forbidden, code: "unknown_device", detail: "no authenticated device")
        }
        return device
    }
}

