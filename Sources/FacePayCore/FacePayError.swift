/// An operating failure with a stable machine-readable `code` (kind 2 of CONVENTIONS.md's three
/// kinds of error). Business outcomes (declines, verdicts) are values, not errors; programmer
/// errors are preconditions. The HTTP layer alone maps `kind` to a status code.
public struct FacePayError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest          // 400
        case unauthorized        // 401
        case forbidden           // 403
        case notFound            // 404
        case conflict            // 409
        case payloadTooLarge     // 413
        case unprocessable       // 422
        case tooManyRequests     // 429
        case unavailable         // 503
        case internalFailure     // 500, never with detail on the wire
    }

    public let kind: Kind
    public let code: String
    public let detail: String
    /// When to try again (HTTP `Retry-After`), for 429 and 503.
    public let retryAfterSeconds: Int?

    public init(_ kind: Kind, code: String, detail: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.code = code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code): \(detail)" }

    public static func invalidField(_ field: String, _ why: String) -> FacePayError {
        FacePayError(.badRequest, code: "invalid_request", detail: "field '\(field)': \(why)")
    }
}
