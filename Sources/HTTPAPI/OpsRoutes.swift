import Hummingbird
import Stores
import Synchronization

/// Whether the server is ready for traffic: the database is open and migrated and the API
/// listener is bound. `/readyz` answers 200 only then.
public final class Readiness: Sendable {
    private let listening = Mutex(false)

    public init() {}

    func markListening() { listening.withLock { $0 = true } }
    var isListening: Bool { listening.withLock { $0 } }
}

/// The plain-HTTP operations listener: `/healthz` (the process answers), `/readyz`, `/metrics`.
/// Bound to loopback by default; it carries no customer data.
struct OpsRoutes {
    let health: any StoreHealth
    let metrics: ServerMetrics
    let readiness: Readiness

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("healthz") { _, _ in
            try JSONBody.response(["status": "ok"])
        }
        router.get("readyz") { _, _ in
            guard readiness.isListening, await health.isReady() else {
                return ProblemDetails(status: .serviceUnavailable, code: "not_ready", detail: "database or API listener not ready").response()
            }
            return try JSONBody.response(["status": "ready"])
        }
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        return router
    }
}
