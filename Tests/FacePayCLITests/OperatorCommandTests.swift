import Foundation
import Testing

@Suite("operator commands: pki, devices, migrate")
struct OperatorCommandTests {
    @Test("pki init + issue writes a signed certificate and registers the device; devices list/revoke")
    func issueAndRevoke() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path

        #expect(try await binary.run(["pki", "init", "--data-dir", data], in: directory).status == 0)
        let issued = try await binary.run(["pki", "issue", "--data-dir", data, "--role", "terminal", "--id", "T-2", "--merchant", "M-2", "--out", directory.appendingPathComponent("out").path], in: directory)
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("out/T-2.pem").path))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("out/T-2.key").path))

        // openssl agrees the certificate chains to the data directory's CA and carries OU/CN.
        let verify = try await shell("openssl verify -CAfile \(data)/pki/ca.pem out/T-2.pem && openssl x509 -in out/T-2.pem -noout -subject", in: directory)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("OU = terminal") && verify.stdout.contains("CN = T-2"))

        let list = try await binary.run(["devices", "list", "--data-dir", data], in: directory)
        #expect(list.stdout.contains("T-2") && list.stdout.contains("M-2"))
        #expect(try await binary.run(["devices", "revoke", "T-2", "--data-dir", data], in: directory).status == 0)
        #expect(try await binary.run(["devices", "list", "--data-dir", data], in: directory).stdout.contains("revoked"))

        let again = try await binary.run(["devices", "add", "--data-dir", data, "--role", "terminal", "--id", "T-2", "--merchant", "M-2"], in: directory)
        #expect(again.status != 0)
        #expect(again.stderr.contains("already registered"))
        let badRole = try await binary.run(["devices", "add", "--data-dir", data, "--role", "cashier", "--id", "X-1"], in: directory)
        #expect(badRole.status != 0)
    }

    @Test("migrate applies migrations once and reports them")
    func migrate() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await binary.run(["migrate", "--data-dir", "d"], in: directory)
        #expect(first.status == 0)
        #expect(first.stdout.contains("0001_devices.sql"))
        let second = try await binary.run(["migrate"], in: directory, environment: ["FACEPAY_DATA_DIR": "d"])
        #expect(second.status == 0)
        #expect(!second.stderr.contains("applied migration"))
    }
}
