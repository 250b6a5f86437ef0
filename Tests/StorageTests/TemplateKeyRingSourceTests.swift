import FacePayCore
import Foundation
import Storage
import Stores
import Testing

/// The key file: created 0600 (and never silently lost), and followed by a running server.
@Suite("template key file")
struct TemplateKeyRingSourceTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-keyfile-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("a development key file is created 0600 and read back on the next load")
    func createdPrivate() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("template.key").path
        let first = try TemplateKeyRing.load(path: path, environment: [:], createIfMissing: true)
        var status = stat()
        try #require(stat(path, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o600)
        let second = try TemplateKeyRing.load(path: path, environment: [:], createIfMissing: true)
        #expect(second.current.id == first.current.id)
    }

    @Test("a key that cannot be saved stops the load with template_key_unwritable naming the file")
    func unwritableKeyStops() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("missing-directory/template.key").path
        let error = try #require(throws: FacePayError.self) {
            _ = try TemplateKeyRing.load(path: path, environment: [:], createIfMissing: true)
        }
        #expect(error.code == "template_key_unwritable")
        #expect(error.detail.contains(path))
    }

    @Test("the ring follows its file: an appended key becomes the sealing key; a broken file keeps the ring in force")
    func followsTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("template.key").path
        let source = try TemplateKeyRingSource(path: path, environment: [:], createIfMissing: true)
        let original = source.ring.current.id
        #expect(source.sealingRing().current.id == original, "unchanged file: same ring")

        let rotated = try TemplateKeyRing.appendNewKey(toFileAt: path)
        #expect(source.ring.current.id == original, "the cheap read does no I/O")
        #expect(source.sealingRing().current.id == rotated.current.id)
        #expect(source.ring.keys.map(\.id) == [original, rotated.current.id])

        try SecretFile.write(Data("not a key line\n".utf8), to: path, existing: .replace)
        #expect(source.reloadIfChanged() == false)
        #expect(source.sealingRing().current.id == rotated.current.id)

        // The environment's key stays last (current) across reloads.
        let environmentLine = TemplateKeyRing.newKeyLine(now: Date())
        try SecretFile.write(Data((TemplateKeyRing.newKeyLine(now: Date()) + "\n").utf8), to: path, existing: .replace)
        let withEnvironment = try TemplateKeyRingSource(path: path, environment: ["FACEPAY_TEMPLATE_KEY": environmentLine], createIfMissing: false)
        let environmentID = String(environmentLine.prefix { $0 != " " })
        #expect(withEnvironment.ring.current.id == environmentID)
        _ = try TemplateKeyRing.appendNewKey(toFileAt: path)
        #expect(withEnvironment.sealingRing().current.id == environmentID)
        #expect(withEnvironment.ring.keys.count == 3)
    }

    @Test("a fixed ring never reads a file")
    func fixedRing() throws {
        let ring = try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "test")
        let source = TemplateKeyRingSource(fixed: ring)
        #expect(source.reloadIfChanged() == false)
        #expect(source.sealingRing().current.id == ring.current.id)
    }
}
