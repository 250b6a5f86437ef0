/// The one rule for an `Idempotency-Key` header's shape, checked once per request by the use
/// case that needs a key; the stores below only assert it.
public enum IdempotencyKey {
    /// `key` when it has 1–`charactersMax` Unicode scalars (as SQLite's `length()` counts them)
    /// and no control characters; otherwise 400 `invalid_idempotency_key`.
    public static func validated(_ key: String, charactersMax: Int) throws -> String {
        guard isValid(key, charactersMax: charactersMax) else {
            throw FacePayError(.badRequest, code: "invalid_idempotency_key",
                               detail: "Idempotency-Key must be 1-\(charactersMax) characters without control characters")
        }
        return key
    }

    /// The same rule as a test, for the stores' preconditions.
    public static func isValid(_ key: String, charactersMax: Int) -> Bool {
        let count = key.unicodeScalars.count
        return count >= 1 && count <= charactersMax && !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
    }
}
