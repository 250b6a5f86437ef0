import FacePayCore
import Foundation
import Stores
import Testing

/// `facepay keys` as every backend must serve it.
@Suite("store contract: template key rotation")
struct TemplateKeyContractTests {
    @Test("a rotation re-seals every template under the new key while enrolments go on; the old key is then unused",
          arguments: StoreBackend.allCases)
    func rotation(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            for index in 0..<7 {
                _ = try await Contract.enrol(stores, depositMinor: 0, frame: Contract.frame(device: kiosk, key: "before-\(index)"))
            }
            let old = stores.keyRing
            #expect(try await stores.templateKeys.templateKeyIDsInUse() == [old.current.id])
            #expect(try await stores.templateKeys.undecryptableTemplates(keyRing: old).isEmpty)

            let rotated = try TemplateKeyRing(keys: old.keys + [try TemplateKeyRing.parse(TemplateKeyRing.newKeyLine(now: Date()), source: "new").current])
            // Enrolments keep committing (under the stores' ring, the old key) while the re-seal
            // runs in batches of 2: the passes repeat until none is left under the old key.
            async let during: Void = {
                for index in 0..<5 {
                    _ = try await Contract.enrol(stores, depositMinor: 0, frame: Contract.frame(device: kiosk, key: "during-\(index)"))
                }
            }()
            let first = try await stores.templateKeys.resealTemplates(keyRing: rotated, batchSize: 2)
            try await during
            let second = try await stores.templateKeys.resealTemplates(keyRing: rotated, batchSize: 2)
            #expect(first.resealed + second.resealed == 12)
            #expect(first.undecryptable.isEmpty && second.undecryptable.isEmpty)
            #expect(try await stores.templateKeys.templateKeyIDsInUse() == [rotated.current.id])

            // Only the new key is needed now; the old key alone opens nothing.
            let newOnly = try TemplateKeyRing(keys: [rotated.current])
            #expect(try await stores.templateKeys.undecryptableTemplates(keyRing: newOnly).isEmpty)
            let oldOnly = try await stores.templateKeys.undecryptableTemplates(keyRing: old)
            #expect(oldOnly.count == 12 && oldOnly.allSatisfy { $0.reason == "template_key_missing" })
        }
    }
}
