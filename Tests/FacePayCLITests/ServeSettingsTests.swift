import Foundation
import Testing

@Suite("facepay serve: malformed settings stop start-up")
struct ServeSettingsTests {
    /// Each malformed value must stop `serve` with a non-zero status and a message naming the
    /// variable or flag — never fall back to the default and start.
    @Test("a malformed FACEPAY_* value or flag stops start-up naming it, before anything is created")
    func malformedSettings() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listen = ["--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
        let environments: [(String, String)] = [
            ("FACEPAY_BODY_BYTES_MAX", "12x"),
            ("FACEPAY_BODY_BYTES_MAX", "99999999999999999999"),
            ("FACEPAY_HOLD_SECONDS", "inf"),
            ("FACEPAY_HOLD_SECONDS", "nan"),
            ("FACEPAY_TARGET_FPIR", "0"),
            ("FACEPAY_MATCH_MARGIN", "1e400"),
            ("FACEPAY_TEMPLATE_RETENTION_DAYS", "-3"),
            ("FACEPAY_LOCKOUT_FAILURES_MAX", "five"),
            ("FACEPAY_CONNECTIONS_MAX", "0"),
            ("FACEPAY_IN_FLIGHT_REQUESTS_MAX", "1.5"),
            ("FACEPAY_IDLE_TIMEOUT_SECONDS", "-1"),
            ("FACEPAY_TLS_HANDSHAKE_TIMEOUT_SECONDS", "1e9"),
            ("FACEPAY_REQUEST_READ_TIMEOUT_SECONDS", "soon"),
            ("FACEPAY_PRODUCTION", "maybe"),
            ("FACEPAY_REQUIRE_TERMINAL_SIGNATURES", "2"),
            ("FACEPAY_LOG_LEVEL", "loud"),
            ("FACEPAY_LISTEN", "127.0.0.1:99999"),
        ]
        for (variable, value) in environments {
            let data = directory.appendingPathComponent("data-\(variable)-\(UUID().uuidString)").path
            // The flag wins over its variable, so FACEPAY_LISTEN is tried without --listen.
            let addresses = variable == "FACEPAY_LISTEN" ? ["--ops-listen", "127.0.0.1:0"] : listen
            let result = try await binary.run(["serve", "--data-dir", data] + addresses, in: directory, environment: [variable: value])
            #expect(result.status != 0, "\(variable)=\(value) started")
            #expect(result.stderr.contains(variable), "\(variable)=\(value): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: data + "/pki"), "\(variable)=\(value) generated a PKI before failing")
        }
        let flags: [[String]] = [["--hold-seconds", "inf"], ["--idle-timeout-seconds", "0"], ["--target-fpir", "1"]]
        for flag in flags {
            let data = directory.appendingPathComponent("data-flag-\(UUID().uuidString)").path
            let result = try await binary.run(["serve", "--data-dir", data] + listen + flag, in: directory)
            #expect(result.status != 0, "\(flag) started")
            #expect(result.stderr.contains(flag[0]), "\(flag): \(result.stderr)")
        }
    }
}
