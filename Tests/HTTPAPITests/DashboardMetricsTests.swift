import FacePayCore
import Foundation
import Simulator
import Testing

/// The Grafana dashboard of Deploy/grafana is only as good as the metrics behind it: every metric
/// its queries name must be one a running server serves, with the labels its legends use.
@Suite("the Grafana dashboard's metrics")
struct DashboardMetricsTests {
    static let dashboardPath = URL(fileURLWithPath: #filePath)  // …/Tests/HTTPAPITests/DashboardMetricsTests.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy/grafana/facepay-dashboard.json")

    /// The metric names in the dashboard's queries (`facepay_…`, with a histogram's `_bucket`,
    /// `_sum` and `_count` series as they are written).
    static func queriedMetrics() throws -> Set<String> {
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dashboardPath)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        var names: Set<String> = []
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                let expression = try #require(target["expr"] as? String)
                for match in expression.matches(of: /facepay_[a-z0-9_]+/) { names.insert(String(match.output)) }
            }
        }
        return names
    }

    @Test("after a day's kinds of traffic (payments, a lockout, a cut connection) /metrics serves every series the dashboard queries")
    func everyQueriedMetricIsServed() async throws {
        let queried = try Self.queriedMetrics()
        #expect(queried.count >= 12, "\(queried.sorted())")
        try await TestServer.with(limits: { $0.tlsHandshakeTimeoutSeconds = 1 }) { server in
            let (terminal, other, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let alice = shoppers.person()
            _ = try await shoppers.enrol(alice, kiosk: kiosk)
            let approved = try await shoppers.pay(alice, terminal: other, amount: 100)
            #expect(try approved.json()["status"] as? String == "approved")
            try await shoppers.lockOut(terminal)
            // A socket that never starts TLS is cut at the handshake deadline.
            let idle = try await RawConnection.connect(port: server.apiPort)
            #expect(try await idle.waitForClose(timeout: .seconds(30)))

            let exposition = server.metrics.exposition()
            let served = Set(exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
                line.prefixMatch(of: /facepay_[a-z0-9_]+/).map { String($0.output) }
            })
            #expect(queried.subtracting(served).isEmpty, "queried but not served: \(queried.subtracting(served).sorted())")
            // The legends' labels.
            #expect(exposition.contains(#"facepay_payment_decisions_total{status="approved",code="none"} 1"#), "\(exposition)")
            #expect(exposition.contains(#"facepay_payment_decisions_total{status="declined",code="liveness_failed"} 5"#))
            #expect(exposition.contains(#"facepay_liveness_check_failures_total{check="#))
            #expect(exposition.contains(#"facepay_gallery_templates{model="sim-128"} 1"#))
            #expect(exposition.contains("facepay_commit_queue_depth "))
        }
    }
}
