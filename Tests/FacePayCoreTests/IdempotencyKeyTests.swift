import FacePayCore
import Testing

/// The one rule for an Idempotency-Key's shape (moved here from the storage tests when the
/// stores stopped re-validating it).
@Suite("Idempotency-Key shape")
struct IdempotencyKeyTests {
    @Test(arguments: ["", String(repeating: "k", count: 256), "tab\tkey", "del\u{7F}"])
    func invalidKeysAreRefused(key: String) {
        #expect(!IdempotencyKey.isValid(key, charactersMax: 255))
        #expect {
            try IdempotencyKey.validated(key, charactersMax: 255)
        } throws: { error in
            (error as? FacePayError)?.code == "invalid_idempotency_key"
        }
    }

    @Test func keysUpToTheBoundAreAccepted() throws {
        #expect(try IdempotencyKey.validated(String(repeating: "k", count: 255), charactersMax: 255).count == 255)
        // Characters are Unicode scalars, as SQLite's length() counts them.
        #expect(try IdempotencyKey.validated(String(repeating: "é", count: 255), charactersMax: 255).unicodeScalars.count == 255)
        #expect(!IdempotencyKey.isValid(String(repeating: "k", count: 11), charactersMax: 10))
    }
}
