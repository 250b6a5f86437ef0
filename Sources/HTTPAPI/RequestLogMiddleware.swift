import FacePayCore
import Hummingbird
import HTTPTypes
import Logging

/// Gives each request an id (`Request-Id` response header, `request_id` on every log line) and
/// logs one line when it completes: method, route template, status, duration. Never the body,
/// headers or query values: bodies carry biometric data and headers carry signatures.
public struct RequestLogMiddleware: RouterMiddleware {
    public typealias Context = FacePayRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Request-Id")!] = context.requestID
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "unmatched"),
            "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000),
        ])
        return response
    }
}
