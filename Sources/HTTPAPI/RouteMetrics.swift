import Foundation
import Hummingbird
import Prometheus
import Synchronization

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
    public func set(_ name: String, help: String, to value: Int, labels: [(String, String)] = []) {
        registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels).set(to: Double(value))
    }

    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64]

    /// One committed group-commit batch of `units` ledger writes.
    func recordCommitBatch(units: Int) {
        registry.makeValueHistogram(
            descriptor: .init(metricName: "facepay_commit_batch_size", unitName: "", helpText: "Ledger writes per committed group-commit batch"),
            labels: [], buckets: Self.batchSizeBuckets
        ).record(Double(units))
    }

    /// Levels read when `/metrics` is scraped (queue depth, gallery size), not kept up to date.
    private let collectors = Mutex<[@Sendable (ServerMetrics) -> Void]>([])

    func collectOnScrape(_ collect: @escaping @Sendable (ServerMetrics) -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    public func exposition() -> String {
        for collect in collectors.withLock({ $0 }) { collect(self) }
        return registry.emitToString()
    }
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
