import Foundation
import Testing

@Suite struct RetentionAndVerifyCommandTests {
    @Test("a malformed or out-of-range retention setting stops serve, naming the variable or flag")
    func badRetentionSettingsStopStartUp() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listen = ["--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        for (variable, value) in [("FACEPAY_IDEMPOTENCY_RETENTION_HOURS", "soon"), ("FACEPAY_IDEMPOTENCY_RETENTION_HOURS", "inf"),
                                  ("FACEPAY_CHALLENGE_RETENTION_SECONDS", "-1"), ("FACEPAY_PURGE_BATCH_ROWS", "99999999999999999999"),
                                  ("FACEPAY_PURGE_INTERVAL_SECONDS", "nan")] {
            let result = try await binary.run(["serve"] + listen, in: directory, environment: [variable: value])
            #expect(result.status != 0, "\(variable)=\(value)")
            #expect(result.stderr.contains(variable), "\(variable)=\(value): \(result.stderr)")
        }
        let flag = try await binary.run(["serve", "--purge-batch-rows", "0"] + listen, in: directory)
        #expect(flag.status != 0)
        #expect(flag.stderr.contains("--purge-batch-rows"))
    }

    @Test("audit verify runs incrementally from the stored state; --full checks every row")
    func auditVerifyModes() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = ["--data-dir", directory.appendingPathComponent("data").path]
        #expect(try await binary.run(["migrate"] + data, in: directory).status == 0)
        let incremental = try await binary.run(["audit", "verify", "--json"] + data, in: directory)
        #expect(incremental.status == 0, "\(incremental.stderr)")
        #expect(incremental.stdout.contains(#""mode":"incremental""#))
        let full = try await binary.run(["audit", "verify", "--full"] + data, in: directory)
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("ok (full"))
    }
}
