import FacePayCore
import Foundation
import Hummingbird

/// RFC 9457 problem details with FacePay's stable `code`. Every 4xx/5xx the API sends is one.
public struct ProblemDetails: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var code: String
    /// Failed liveness checks (names only, never scores), when the problem is `liveness_failed`.
    public var failedChecks: [String]?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code
        case failedChecks = "failed_checks"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        title = try container.decode(String.self, forKey: .title)
        status = try container.decode(Int.self, forKey: .status)
        detail = try container.decodeIfPresent(String.self, forKey: .detail)
        code = try container.decode(String.self, forKey: .code)
        failedChecks = try container.decodeIfPresent([String].self, forKey: .failedChecks)
        retryAfterSeconds = nil
    }

    public init(status: HTTPResponse.Status, code: String, detail: String?, failedChecks: [String]? = nil) {
        self.type = "urn:facepay:problem:\(code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.code = code
        self.failedChecks = failedChecks
    }

    public static let mediaType = "application/problem+json"

    /// Seconds for a `Retry-After` header (429 and 503).
    public var retryAfterSeconds: Int?

    public func response() -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(self)) ?? Data(#"{"code":"internal_error","status":500}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = Self.mediaType
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension FacePayError.Kind {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unprocessable: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internalFailure: .internalServerError
        }
    }
}
