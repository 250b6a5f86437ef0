import Foundation
import Testing

@Suite("facepay simulate against the real server")
struct SimulateCommandTests {
    @Test("kiosk and terminal simulation: enrolments, approvals, declines for strangers and attacks, zero false accepts")
    func liveSimulation() async throws {
        try await FacePayBinary.withDevelopmentServer { binary, directory, server, curl in
            let url = try #require(curl.split(separator: " ").last.map { String($0.dropLast("/v1/me".count)) })

            let result = try await binary.run(["simulate", "--url", url, "--customers", "8", "--payments", "40", "--seed", "11", "--json"], in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(report["customers_enrolled"] as? Int == 8)
            #expect(report["payments"] as? Int == 40)
            #expect((report["approved"] as? Int ?? 0) > 0)
            #expect(report["false_accepts"] as? Int == 0)
            #expect((report["errors"] as? [String: Any])?.isEmpty == true, "errors: \(report["errors"] ?? "none")")
            server.terminate()
            #expect(try await server.waitForExit() == 0)
        }
    }
}
