import Foundation
import Testing

@Suite("production mode with the openssl PKI of Deploy/pki")
struct ProductionPKITests {
    @Test("certificates made by Deploy/pki/make-pki.sh serve a registered device; nothing is generated; an unfit model takes payments only when accepted by name")
    func runbookCertificates() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Deploy/pki/make-pki.sh").path
        for step in ["ca pki", "server pki localhost 127.0.0.1", "device pki terminal T-PROD-1"] {
            let result = try await shell("bash \(script) \(step) >/dev/null 2>&1", in: directory)
            #expect(result.status == 0, "make-pki.sh \(step) failed")
        }
        let data = directory.appendingPathComponent("data").path
        #expect(try await binary.run(["devices", "add", "--data-dir", data, "--role", "terminal", "--id", "T-PROD-1", "--merchant", "M-1"], in: directory).status == 0)

        // Production creates no audit signing key: it refuses to start without one, naming the command that makes it.
        let keyless = try await binary.run(["serve", "--production", "--data-dir", data, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"], in: directory, environment: [
            "FACEPAY_TLS_CERT": "pki/server.pem", "FACEPAY_TLS_KEY": "pki/server.key", "FACEPAY_CLIENT_CA": "pki/device-ca.pem",
            "FACEPAY_TEMPLATE_KEY": "k-prod-1 \(Data((0..<32).map { UInt8($0) }).base64EncodedString())",
        ])
        #expect(keyless.status != 0)
        #expect(keyless.stderr.contains("audit_signing_key_missing") && keyless.stderr.contains("facepay audit key --rotate"), "\(keyless.stderr)")
        #expect(try await binary.run(["audit", "key", "--rotate", "--data-dir", data], in: directory).status == 0)

        // A payment whose face evidence names dlib's model (the documented example, re-labelled).
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("Sources/HTTPAPI/openapi.json"))) as? [String: Any]
        let examples = (document?["components"] as? [String: Any])?["examples"] as? [String: Any]
        var payment = try #require((examples?["PaymentAutomatic"] as? [String: Any])?["value"] as? [String: Any])
        var face = try #require(payment["face"] as? [String: Any])
        face["model"] = "dlib-resnet-v1"
        payment["face"] = face
        try JSONSerialization.data(withJSONObject: payment).write(to: directory.appendingPathComponent("payment.json"))

        // Without acceptance the unfit model takes no payments; accepted by name, it does.
        for (accepted, expectedCode) in [(false, "model_not_fit"), (true, "liveness_failed")] {
            let status = try await serveProduction(binary, data: data, in: directory, acceptDlib: accepted) { server, apiPort in
                #expect(server.stderr.contains("model not fit for payments"), "the start-up warning names the unfit model")
                let reply = try await shell("curl --silent --cacert pki/device-ca.pem --cert pki/T-PROD-1.pem --key pki/T-PROD-1.key -H 'Content-Type: application/json' -H 'Idempotency-Key: fit-\(accepted)' --data-binary @payment.json https://127.0.0.1:\(apiPort)/v1/payments", in: directory)
                #expect(reply.stdout.contains(expectedCode), "accepted \(accepted): \(reply.stdout)")
            }
            #expect(status == 0)
        }

        let status = try await serveProduction(binary, data: data, in: directory, acceptDlib: false) { _, apiPort in
            let reply = try await shell("curl --silent --cacert pki/device-ca.pem --cert pki/T-PROD-1.pem --key pki/T-PROD-1.key https://127.0.0.1:\(apiPort)/v1/me", in: directory)
            #expect(reply.stdout.contains(#""device_id":"T-PROD-1""#))
        }
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/pki").path), "production mode generated a PKI")
    }

    /// Starts `facepay serve --production` on the runbook's files, runs `body` with its API port,
    /// then stops it with SIGTERM and returns its exit status.
    func serveProduction(_ binary: FacePayBinary, data: String, in directory: URL, acceptDlib: Bool,
                         _ body: (RunningProcess, String) async throws -> Void) async throws -> Int32 {
        let server = try binary.start(["serve", "--production", "--data-dir", data, "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]
                                      + (acceptDlib ? ["--accept-unfit-model", "dlib-resnet-v1"] : []), in: directory, environment: [
            "FACEPAY_TLS_CERT": "pki/server.pem", "FACEPAY_TLS_KEY": "pki/server.key", "FACEPAY_CLIENT_CA": "pki/device-ca.pem",
            "FACEPAY_TEMPLATE_KEY": "k-prod-1 \(Data((0..<32).map { UInt8($0) }).base64EncodedString())",
        ])
        defer { server.killIfRunning() }
        // Production prints no curl line; find the bound port in the log.
        var port: String?
        let deadline = ContinuousClock.now + .seconds(60)
        while port == nil, ContinuousClock.now < deadline, server.process.isRunning {
            if let range = server.stderr.range(of: #"address=127\.0\.0\.1:(\d+) listener=api"#, options: .regularExpression) {
                port = server.stderr[range].split(separator: ":").last?.split(separator: " ").first.map(String.init)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let apiPort = try #require(port, "no API port in the log: \(server.stderr)")
        try await body(server, apiPort)
        server.terminate()
        return try await server.waitForExit()
    }
}
