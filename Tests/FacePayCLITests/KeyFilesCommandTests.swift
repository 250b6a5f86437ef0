import Foundation
import Testing

/// The real binary and its secrets: keys created 0600 whatever the umask, a key that cannot be
/// saved stops start-up, and a template no key opens is skipped, counted and named.
@Suite("key files and undecryptable templates, the real binary", .serialized)
struct KeyFilesCommandTests {
    static func mode(_ path: String) throws -> mode_t {
        var status = stat()
        try #require(stat(path, &status) == 0, "stat \(path)")
        return status.st_mode & 0o7777
    }

    /// The ops port a server logged ("ops listening" … address=HOST:PORT), waiting for the line.
    static func opsPort(of server: RunningProcess) async throws -> Int {
        for _ in 0..<200 {
            for line in server.stderr.split(separator: "\n") where line.contains("ops listening") {
                if let range = line.range(of: #"address=[^ ]*:(\d+)"#, options: .regularExpression),
                   let port = Int(line[range].split(separator: ":").last ?? "") {
                    return port
                }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("no ops address in the log: \(server.stderr)")
    }

    @Test("pki init, pki issue and keys rotate under umask 000 create every private key and the template key 0600")
    func keysPrivateWhateverTheUmask() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let facepay = "'\(binary.url.path)'"
        let result = try await shell("umask 000 && touch probe && \(facepay) pki init --data-dir d && \(facepay) keys rotate --data-dir d"
                                     + " && \(facepay) pki issue --data-dir d --role kiosk --id K-9 --out out", in: directory)
        #expect(result.status == 0, "\(result.stdout)")
        let keys = ["d/pki/ca.key", "d/pki/server.key", "d/pki/T-DEV-1.key", "d/pki/K-DEV-1.key", "d/pki/A-DEV-1.key", "out/K-9.key", "d/template.key"]
        for key in keys {
            #expect(try Self.mode(directory.appendingPathComponent(key).path) == 0o600, "\(key)")
        }
        // The umask was in force: a plain file made under it is world-writable.
        #expect(try Self.mode(directory.appendingPathComponent("probe").path) == 0o666)
    }

    @Test("a development key that cannot be saved stops start-up with a message naming the file")
    func unsavableKeyStopsStartUp() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let listen = ["--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"]

        // The PKI directory's place is taken by a file (permissions would not stop root).
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("a"), withIntermediateDirectories: true)
        try #require(FileManager.default.createFile(atPath: directory.appendingPathComponent("a/pki").path, contents: Data()))
        let pki = try await binary.run(["serve", "--data-dir", "a"] + listen, in: directory)
        #expect(pki.status != 0)
        #expect(pki.stderr.contains("a/pki"), "\(pki.stderr)")
        #expect(pki.stderr.contains("pki_unwritable"), "\(pki.stderr)")

        // The template key file cannot be created where FACEPAY_TEMPLATE_KEY_FILE points.
        let keyPath = directory.appendingPathComponent("no-such-directory/template.key").path
        let key = try await binary.run(["serve", "--data-dir", "b"] + listen, in: directory, environment: ["FACEPAY_TEMPLATE_KEY_FILE": keyPath])
        #expect(key.status != 0)
        #expect(key.stderr.contains("cannot save the new template key"), "\(key.stderr)")
        #expect(key.stderr.contains(keyPath))
    }

    @Test("templates whose key left the key file: serve starts, serves new customers, counts them in /metrics; keys status names them")
    func removedKeySkipped() async throws {
        try await FacePayBinary.withDevelopmentServer { binary, directory, server, curl in
            let url = try #require(curl.split(separator: " ").last.map { String($0.dropLast("/v1/me".count)) })
            let first = try await binary.run(["simulate", "--url", url, "--customers", "3", "--payments", "3", "--seed", "21", "--json"], in: directory)
            #expect(first.status == 0, "\(first.stderr)")
            server.terminate()
            #expect(try await server.waitForExit() == 0)

            // The key those three templates were sealed with is removed from the ring.
            let keyFile = directory.appendingPathComponent("facepay-data/template.key").path
            let replacement = "k-replacement " + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() + "\n"
            try Data(replacement.utf8).write(to: URL(fileURLWithPath: keyFile))

            let again = try binary.startDevelopmentServer(in: directory)
            defer { again.killIfRunning() }
            let secondURL = try #require(try await again.firstLine().split(separator: " ").last.map { String($0.dropLast("/v1/me".count)) })
            let metrics = try await shell("curl --silent http://127.0.0.1:\(try await Self.opsPort(of: again))/metrics", in: directory)
            #expect(metrics.stdout.contains("facepay_templates_undecryptable 3.0\n"), "\(metrics.stdout)")
            let skippedLines = again.stderr.split(separator: "\n").filter { $0.contains("template skipped") }
            #expect(skippedLines.count == 3)
            #expect(skippedLines.allSatisfy { $0.contains("reason=template_key_missing") && $0.contains("customer_id=") })

            let second = try await binary.run(["simulate", "--url", secondURL, "--customers", "2", "--payments", "8", "--seed", "22", "--json"], in: directory)
            #expect(second.status == 0, "\(second.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
            #expect(report["customers_enrolled"] as? Int == 2)
            #expect((report["approved"] as? Int ?? 0) > 0)
            #expect((report["errors"] as? [String: Any])?.isEmpty == true)

            let status = try await binary.run(["keys", "status", "--data-dir", "facepay-data"], in: directory)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("undecryptable templates: 3"), "\(status.stdout)")
            let named = status.stdout.split(separator: "\n").filter { $0.contains("reason template_key_missing") }
            #expect(named.count == 3)
            // The same customers the server skipped.
            for line in skippedLines {
                let customer = try #require(line.range(of: #"customer_id=[^ ]+"#, options: .regularExpression).map { line[$0].dropFirst("customer_id=".count) })
                #expect(status.stdout.contains("customer \(customer) "), "\(customer) not named by keys status")
            }
            again.terminate()
            #expect(try await again.waitForExit() == 0)
        }
    }
}
