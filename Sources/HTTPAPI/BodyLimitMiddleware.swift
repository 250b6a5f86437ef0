import FacePayCore
import Hummingbird

/// Bounds every request body (`Limits.bodyBytesMax`, default 1 MiB). A declared Content-Length
/// over the limit is refused before a byte of the body is read; a chunked body is collected up
/// to the limit and refused when it goes over. Handlers then see the whole body already in
/// memory, so signature checks run over the exact bytes received.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let bodyBytesMax: Int

    public init(bodyBytesMax: Int) {
        precondition(bodyBytesMax > 0)
        self.bodyBytesMax = bodyBytesMax
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > bodyBytesMax {
            throw Self.tooLarge(bodyBytesMax)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: bodyBytesMax)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Self.tooLarge(bodyBytesMax)
        }
        return try await next(request, context)
    }

    static func tooLarge(_ limit: Int) -> FacePayError {
        FacePayError(.payloadTooLarge, code: "body_too_large", detail: "request body is larger than \(limit) bytes")
    }
}
