import FacePayCore
import Hummingbird
import Logging
import NIOHTTP1
import Payments

/// The one place errors become HTTP responses (CONVENTIONS: "the HTTP layer alone maps them").
/// `FacePayError` keeps its code; Hummingbird's own errors (404, 405, 413 …) get stable codes;
/// anything else is a bug: 500 `internal_error` with no detail on the wire, logged here.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.problem(for: error, logger: context.logger).response()
        }
    }

    static func problem(for error: any Error, logger: Logger) -> ProblemDetails {
        switch error {
        case let error as FacePayError:
            if error.kind == .internalFailure {
                logger.error("request failed", metadata: ["code": .string(error.code), "error": .string(error.detail)])
                return ProblemDetails(status: .internalServerError, code: "internal_error", detail: nil)
            }
            var problem = ProblemDetails(status: error.kind.httpStatus, code: error.code, detail: error.detail)
            // Backpressure and lockouts say when to come back; a full queue clears within a second.
            problem.retryAfterSeconds = error.retryAfterSeconds
                ?? (error.kind == .unavailable ? 1 : error.code == "too_many_challenges" ? 30 : nil)
            return problem
        case let error as LivenessFailure:
            return ProblemDetails(status: .unprocessableContent, code: "liveness_failed",
                                  detail: "the capture did not pass liveness", failedChecks: error.failedChecks)
        case is HTTPParserError:
            // The request's bytes are not HTTP, or the connection closed in the middle of a body
            // (a client gone, or one cut off by the read deadline): the client's fault, and
            // usually nobody is left to read the answer.
            logger.debug("malformed or truncated request", metadata: ["error": .string(String(describing: error))])
            return ProblemDetails(status: .badRequest, code: "invalid_request", detail: "the request is not well-formed HTTP")
        case let error as any HTTPResponseError:
            let status = error.status
            if status.code >= 500 {
                logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            }
            return ProblemDetails(status: status, code: Self.code(for: status), detail: Self.detail(for: status))
        default:
            logger.error("unmapped error", metadata: ["error": .string(String(describing: type(of: error)))])
            return ProblemDetails(status: .internalServerError, code: "internal_error", detail: nil)
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 401: "unauthenticated"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 413: "body_too_large"
        case 415: "unsupported_media_type"
        case 429: "too_many_requests"
        case 503: "overloaded"
        default: status.code >= 500 ? "internal_error" : "http_\(status.code)"
        }
    }

    static func detail(for status: HTTPResponse.Status) -> String? {
        switch status.code {
        case 404: "no such resource"
        case 405: "method not allowed on this resource"
        case 413: "request body is larger than the configured limit"
        default: nil
        }
    }
}
