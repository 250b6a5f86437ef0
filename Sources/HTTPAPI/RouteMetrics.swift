import Foundation
import Hummingbird
import Prometheus

/// Request counts and latency histograms per route, in the process's Prometheus registry, served
/// by the ops listener at `/metrics`. The registry is an instance (not the global MetricsSystem)
/// so several servers in one test process keep separate figures.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5),
    ]

    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(metricName: "facepay_http_requests", unitName: "total", helpText: "HTTP requests by route, method and status"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(metricName: "facepay_http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
            labels: [("route", route), ("method", method)],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Counts a named event (e.g. a lockout), for operations dashboards.
    public func increment(_ name: String, help: String, labels: [(String, String)] = []) {
        registry.makeCounter(descriptor: .init(metricName: name, unitName: "total", helpText: help), labels: labels).increment()
    }

    /// Sets a named level (e.g. templates skipped at start-up), for operations dashboards.
    public func set(_ name: String, help: String, to value: Int) {
        registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: []).set(to: Double(value))
    }

    public func exposition() -> String { registry.emitToString() }
}

/// Records every request into `ServerMetrics`, including those that end in an error (it runs
/// outside `ProblemMiddleware`, so it sees the final status).
public struct RouteMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    public init(metrics: ServerMetrics) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                       status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
