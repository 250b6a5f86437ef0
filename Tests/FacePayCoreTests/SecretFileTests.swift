import FacePayCore
import Foundation
import Testing

/// Secrets are created 0600 from their first byte, whatever the umask, and a failure to write
/// one is an error naming the path (never swallowed).
@Suite("secret files", .serialized)
struct SecretFileTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-secret-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func mode(_ path: String) throws -> mode_t {
        var status = stat()
        try #require(stat(path, &status) == 0, "stat \(path)")
        return status.st_mode & 0o7777
    }

    @Test("a new secret is 0600 even under umask 000, replaces atomically, and leaves no temporary file")
    func modeWhateverTheUmask() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("a.key").path
        // umask 000 would give a plain create 0666 (0644 with the usual 022).
        let previous = umask(0)
        defer { umask(previous) }
        try SecretFile.write(Data("one".utf8), to: path, existing: .replace)
        #expect(try Self.mode(path) == 0o600)
        try SecretFile.write(Data("two".utf8), to: path, existing: .replace)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(try Self.mode(path) == 0o600)
        // An existing file with a wider mode is replaced by a 0600 one, not chmod'ed in place.
        try #require(FileManager.default.createFile(atPath: directory.appendingPathComponent("b.key").path, contents: Data("old".utf8),
                                       attributes: [.posixPermissions: 0o644]))
        try SecretFile.write(Data("new".utf8), to: directory.appendingPathComponent("b.key").path, existing: .replace)
        #expect(try Self.mode(directory.appendingPathComponent("b.key").path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["a.key", "b.key"])
    }

    @Test("`.keep` never overwrites an existing secret")
    func keepExisting() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("template.key").path
        try SecretFile.write(Data("first".utf8), to: path, existing: .keep)
        #expect(throws: FacePayError.self) { try SecretFile.write(Data("second".utf8), to: path, existing: .keep) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["template.key"])
    }

    @Test("a secret that cannot be written throws secret_file_unwritable naming the path")
    func unwritable() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A regular file where the directory should be: fails for root too (permissions do not).
        let blocker = directory.appendingPathComponent("pki")
        try #require(FileManager.default.createFile(atPath: blocker.path, contents: Data()))
        let path = blocker.appendingPathComponent("ca.key").path
        let error = try #require(throws: FacePayError.self) { try SecretFile.write(Data("k".utf8), to: path, existing: .replace) }
        #expect(error.code == "secret_file_unwritable")
        #expect(error.detail.contains(path))
    }
}
