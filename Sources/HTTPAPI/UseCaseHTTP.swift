import FacePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Payments

/// The glue between HTTP and the use cases: what the caller sent, and how an answer is written.
enum UseCaseHTTP {
    static let idempotencyKeyHeader = HTTPField.Name("Idempotency-Key")!
    static let signatureHeader = HTTPField.Name("Device-Signature")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    /// The caller: authenticated device, the exact body bytes (already collected and bounded by
    /// `BodyLimitMiddleware`), signature and idempotency headers, method and path.
    static func caller(_ request: Request, _ context: FacePayRequestContext) async throws -> Caller {
        var request = request
        let buffer = try await request.collectBody(upTo: Int.max)
        return Caller(device: try context.requireDevice(), body: Array(buffer: buffer),
                      signature: request.headers[signatureHeader], idempotencyKey: request.headers[idempotencyKeyHeader],
                      method: request.method.rawValue, path: request.uri.path)
    }

    static func response(_ answer: UseCaseResponse) -> Response {
        var headers = HTTPFields()
        if !answer.body.isEmpty { headers[.contentType] = "application/json" }
        if answer.replayed { headers[replayedHeader] = "true" }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
