import FacePayCore
import Hummingbird
import Synchronization

/// Bounds the requests being handled at once (`Limits.inFlightRequestsMax`). Past the bound the
/// answer is 503 `overloaded` with `Retry-After` at once — before identity, body or any database
/// work — rather than a queue that only adds latency (CONVENTIONS: "when full, answer at once").
public struct InFlightLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let counter: InFlightCounter

    public init(counter: InFlightCounter) { self.counter = counter }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard counter.enter() else {
            throw FacePayError(.unavailable, code: "overloaded",
                               detail: "the server is handling \(counter.limit) requests; try again shortly", retryAfterSeconds: 1)
        }
        defer { counter.leave() }
        return try await next(request, context)
    }
}

/// The number of requests in flight, against its bound.
public final class InFlightCounter: Sendable {
    public let limit: Int
    private let count = Atomic<Int>(0)

    public init(limit: Int) {
        precondition(limit > 0, "inFlightRequestsMax must be positive")
        self.limit = limit
    }

    /// Takes a slot; false (taking nothing) when all are in use.
    func enter() -> Bool {
        if count.wrappingAdd(1, ordering: .acquiring).newValue <= limit { return true }
        count.wrappingSubtract(1, ordering: .releasing)
        return false
    }

    func leave() { count.wrappingSubtract(1, ordering: .releasing) }

    public var current: Int { count.load(ordering: .relaxed) }
}
