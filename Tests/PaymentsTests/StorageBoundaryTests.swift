import Foundation
import Testing

/// The storage boundary as the source tree shows it (docs/ARCHITECTURE.md, "The storage
/// boundary"): only the SQLite module speaks GRDB, and the HTTP layer reaches Storage only
/// through its composition root.
@Suite("the storage boundary in the source tree")
struct StorageBoundaryTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// The Swift files under `folder` (relative to Sources/) whose text has a line `import <module>`.
    static func files(under folder: String, importing module: String) throws -> [String] {
        let root = sources.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [String] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            if text.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "import \(module)" }) {
                found.append(String(url.path.dropFirst(sources.path.count + 1)))
            }
        }
        return found.sorted()
    }

    @Test("only Sources/Storage imports GRDB")
    func onlyStorageImportsGRDB() throws {
        let importers = try Self.files(under: "", importing: "GRDB")
        #expect(!importers.isEmpty, "the walk found the sources")
        #expect(importers.filter { !$0.hasPrefix("Storage/") } == [])
    }

    @Test("the use cases know no storage implementation: Payments imports neither Storage nor GRDB")
    func paymentsImportsNoStorage() throws {
        #expect(try Self.files(under: "Payments", importing: "Storage") == [])
        #expect(try Self.files(under: "Payments", importing: "GRDB") == [])
    }

    @Test("in HTTPAPI only the composition root imports Storage")
    func httpAPIImportsStorageOnlyToWireIt() throws {
        #expect(try Self.files(under: "HTTPAPI", importing: "Storage") == ["HTTPAPI/FacePayServer.swift"])
    }
}
