import Crypto
import FacePayCore
import Foundation

/// SHA-256 of what a request asked for, so a retry can be told from a different request
/// reusing the same Idempotency-Key.
public struct RequestFingerprint: Sendable, Hashable, CustomStringConvertible {
    /// 64 lower-case hex characters.
    public let hex: String

    /// Fingerprint of method, path and body bytes (`METHOD \n PATH \n BODY`): the same key on a
    /// different route or with a different body is a different request.
    public init(method: String, path: String, body: Data) {
        var hasher = SHA256()
        hasher.update(data: Data(method.utf8))
        hasher.update(data: Data([0x0A]))
        hasher.update(data: Data(path.utf8))
        hasher.update(data: Data([0x0A]))
        hasher.update(data: body)
        hex = Hex.string(hasher.finalize())
    }

    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        self.hex = hex
    }

    public var description: String { hex }
}

/// The answer to an idempotent request: the stored first response when `replayed`.
public struct IdempotentResponse: Sendable, Equatable {
    public let status: Int
    public let body: Data
    public let replayed: Bool

    public init(status: Int, body: Data, replayed: Bool) {
        self.status = status
        self.body = body
        self.replayed = replayed
    }
}
