import Foundation
import Testing

@Suite("facepay serve, the real binary", .serialized)
struct ServeCommandTests {
    @Test("with no TLS flags on a fresh directory it creates everything and answers its printed curl line; a second start reuses it")
    func developmentServer() async throws {
        try await FacePayBinary.withDevelopmentServer { binary, directory, server, curl in
            #expect(curl.hasPrefix("curl "))
            for file in ["ca.pem", "server.pem", "server.key", "T-DEV-1.pem", "T-DEV-1.key", "K-DEV-1.pem", "K-DEV-1.key", "A-DEV-1.pem", "A-DEV-1.key"] {
                #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("facepay-data/pki/\(file)").path), "missing \(file)")
            }
            let (status, output) = try await shell(curl + " --silent --show-error", in: directory)
            #expect(status == 0)
            #expect(output.contains(#""device_id":"T-DEV-1""#))
            #expect(output.contains(#""merchant_id":"M-DEV""#))
            server.terminate()
            #expect(try await server.waitForExit() == 0)

            let caBefore = try Data(contentsOf: directory.appendingPathComponent("facepay-data/pki/ca.pem"))
            let again = try binary.startDevelopmentServer(in: directory)
            defer { again.killIfRunning() }
            let secondCurl = try await again.firstLine()
            #expect(try Data(contentsOf: directory.appendingPathComponent("facepay-data/pki/ca.pem")) == caBefore)
            #expect(try await shell(secondCurl + " --silent", in: directory).stdout.contains("T-DEV-1"))
            again.terminate()
            #expect(try await again.waitForExit() == 0)
        }
    }

    @Test("SIGTERM with a slow request in flight completes that request, then exits 0")
    func gracefulShutdown() async throws {
        try await FacePayBinary.withDevelopmentServer { _, directory, server, curl in
            // A client that uploads its body slowly (6,000 bytes at 1,500 B/s: about 4 s in flight).
            try Data(repeating: 0x20, count: 6000).write(to: directory.appendingPathComponent("body.bin"))
            let slowCall = curl + " --silent --output response.json --write-out '%{http_code}' --limit-rate 1500 -X POST --data-binary @body.bin"
                + " --trace-ascii trace.log"
            async let slow = shell(slowCall, in: directory)
            // SIGTERM only once the request is in flight (its headers sent): on a loaded machine
            // curl may need more than a moment to start, and a signal before it connected tests nothing.
            let trace = directory.appendingPathComponent("trace.log")
            for _ in 0..<200 {
                if let text = try? String(contentsOf: trace, encoding: .utf8), text.contains("=> Send header") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .seconds(0.5))
            server.terminate()
            let (curlStatus, httpCode) = try await slow
            #expect(curlStatus == 0, "the in-flight request was cut off")
            #expect(Int(httpCode) != nil && httpCode != "000", "no HTTP response: \(httpCode)")
            let response = try String(contentsOf: directory.appendingPathComponent("response.json"), encoding: .utf8)
            #expect(response.contains(#""code""#))
            #expect(try await server.waitForExit() == 0)
        }
    }

    @Test("--production without certificates stops start-up with a clear error")
    func productionNeedsCertificates() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await binary.run(["serve", "--production", "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"], in: directory)
        #expect(result.status != 0)
        #expect(result.stderr.contains("--production needs the server certificate"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("facepay-data/pki").path), "production mode generated a PKI")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("facepay-data/template.key").path), "production mode generated a key")

        let missing = try await binary.run(["serve", "--production", "--tls-cert", "/nonexistent/server.pem", "--tls-key", "/nonexistent/server.key",
                                            "--client-ca", "/nonexistent/ca.pem", "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"], in: directory)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/server.pem"))

        // Certificates present but no template key: production generates none.
        let pki = directory.appendingPathComponent("data/pki").path
        #expect(try await binary.run(["pki", "init", "--data-dir", directory.appendingPathComponent("data").path], in: directory).status == 0)
        let noKey = try await binary.run(["serve", "--production", "--data-dir", directory.appendingPathComponent("prod").path,
                                          "--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key", "--client-ca", pki + "/ca.pem",
                                          "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"], in: directory)
        #expect(noKey.status != 0)
        #expect(noKey.stderr.contains("FACEPAY_TEMPLATE_KEY"))
    }
}
