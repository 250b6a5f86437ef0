import FacePayCore
import Foundation
import Storage
import Stores
import Testing

/// The auditor's receipt tools on the shell: `audit key`, `audit checkpoint --out`, and
/// `audit verify --receipts` (the rewrite it catches is shown per backend by the store contract
/// suite's receipt tests; here, the commands and their exits).
@Suite struct AuditReceiptCommandTests {
    @Test("receipts saved by audit checkpoint verify after the log grows and after a key rotation; an altered or untrusted receipt fails, named")
    func receiptsVerify() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = ["--data-dir", directory.appendingPathComponent("data").path]
        let receipts = directory.appendingPathComponent("receipts")
        let load = ["ledger-load", "--requesters", "2", "--payments-per-requester", "30"] + data

        #expect(try await binary.run(load, in: directory).status == 0)
        let created = try await binary.run(["audit", "key", "--rotate"] + data, in: directory)
        #expect(created.status == 0, "\(created.stderr)")
        let trusted = directory.appendingPathComponent("trusted.keys")
        try Data(created.stdout.utf8).write(to: trusted)
        let first = try await binary.run(["audit", "checkpoint", "--out", receipts.path] + data, in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains(#""tree_size":"#))

        // The log grows; the signing key is rotated; a second receipt is signed by the new key.
        #expect(try await binary.run(load, in: directory).status == 0)
        let rotated = try await binary.run(["audit", "key", "--rotate"] + data, in: directory)
        #expect(rotated.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 2)
        try Data(rotated.stdout.utf8).write(to: trusted)
        #expect(try await binary.run(["audit", "checkpoint", "--out", receipts.path] + data, in: directory).status == 0)
        // The key file is outside the database; the log says when its key changed.
        let database = try AppDatabase.open(path: DataDirectory(path: directory.appendingPathComponent("data").path).databasePath)
        let rotations = try database.auditEvents(AuditEventQuery(action: OperatorEvents.auditKeyRotated, limit: 10)).events
        let keyIDs = rotated.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: " ")[0]) }
        #expect(rotations.map(\.subject) == keyIDs && rotations.map(\.actor) == ["operator", "operator"])
        #expect(rotations.last?.detail == #"{"key_id":"\#(keyIDs[1])","previous_key_id":"\#(keyIDs[0])"}"#)

        let verified = try await binary.run(["audit", "verify", "--receipts", receipts.path, "--trusted-keys", trusted.path] + data, in: directory)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.components(separatedBy: "RECEIPT ok").count == 3, "\(verified.stdout)")
        #expect(verified.stdout.contains("the live log extends all 2 receipt(s)"))
        // Without --trusted-keys, the key file's public halves are trusted.
        #expect(try await binary.run(["audit", "verify", "--receipts", receipts.path] + data, in: directory).status == 0)

        // An altered receipt (its size changed after signing) fails, and is named.
        let names = try FileManager.default.contentsOfDirectory(atPath: receipts.path).sorted()
        let original = try String(contentsOf: receipts.appendingPathComponent(names[0]), encoding: .utf8)
        try Data(original.replacingOccurrences(of: #""tree_size":"#, with: #""tree_size":1"#).utf8)
            .write(to: receipts.appendingPathComponent("altered.json"))
        let altered = try await binary.run(["audit", "verify", "--receipts", receipts.path, "--trusted-keys", trusted.path] + data, in: directory)
        #expect(altered.status != 0)
        #expect(altered.stdout.contains("RECEIPT FAILED altered.json"), "\(altered.stdout)")
        #expect(altered.stdout.contains("the first is altered.json"), "\(altered.stdout)")
        try FileManager.default.removeItem(at: receipts.appendingPathComponent("altered.json"))

        // A witness file: one receipt per line, each judged on its own.
        let witness = directory.appendingPathComponent("witness")
        try FileManager.default.createDirectory(at: witness, withIntermediateDirectories: true)
        let line = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try Data((line + "\n" + line.replacingOccurrences(of: #""tree_size":"#, with: #""tree_size":9"#) + "\n").utf8)
            .write(to: witness.appendingPathComponent("checkpoints.jsonl"))
        let witnessed = try await binary.run(["audit", "verify", "--receipts", witness.path, "--trusted-keys", trusted.path] + data, in: directory)
        #expect(witnessed.status != 0)
        #expect(witnessed.stdout.contains("RECEIPT ok checkpoints.jsonl:1") && witnessed.stdout.contains("RECEIPT FAILED checkpoints.jsonl:2"), "\(witnessed.stdout)")

        // Trusting only the first key: the receipt signed after the rotation is not trusted.
        let firstKeyOnly = created.stdout
        try Data(firstKeyOnly.utf8).write(to: trusted)
        let untrusted = try await binary.run(["audit", "verify", "--receipts", receipts.path, "--trusted-keys", trusted.path] + data, in: directory)
        #expect(untrusted.status != 0)
        #expect(untrusted.stdout.contains("not among the trusted keys"), "\(untrusted.stdout)")
    }
}
