import FacePayCore
import FacePayWire
import Foundation

/// The two decoders of a request body side by side: the fast path (`readPlain`, as
/// `WireBody.decode` runs it) and `JSONDecoder`, the oracle. The fast path may give up on valid
/// input, but whatever it accepts `JSONDecoder` must decode to the same value.
public enum Differential {
    /// `T.readPlain` over the whole input, as `WireBody.decode` runs it; nil when it gives up.
    public static func plain<T: PlainJSONDecodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        StrictJSONReader.with(bytes) { reader -> T? in
            guard let value = T.readPlain(&reader), reader.isAtEnd() else { return nil }
            return value
        }
    }

    /// What `JSONDecoder` makes of the input; nil when it refuses.
    public static func foundation<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// A body with a fast path: fast path ⊆ oracle, and `WireBody.decode` (the fast overload)
    /// answers the oracle's value or a 400. Returns the decoded value.
    @discardableResult
    public static func body<T: PlainJSONDecodable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        let oracle = foundation(T.self, bytes)
        if let fast = plain(T.self, bytes) {
            check(oracle != nil, "the fast path accepted a \(T.self) that JSONDecoder refuses")
            check(fast == oracle, "the fast path decoded a \(T.self) differently from JSONDecoder")
        }
        return decodedAsTheOracle(oracle) { try WireBody.decode(T.self, from: bytes) }
    }

    /// A body without a fast path: `WireBody.decode` answers the oracle's value or a 400.
    @discardableResult
    public static func foundationBody<T: Decodable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        let oracle = foundation(T.self, bytes)
        return decodedAsTheOracle(oracle) { try WireBody.decode(T.self, from: bytes) }
    }

    /// A refusal must be a 400 problem with a stable code, and only for what the oracle refuses.
    private static func expectRefusal<T>(_ error: any Error, of type: T.Type, oracle: T?) {
        guard let error = error as? FacePayError else {
            check(false, "WireBody.decode(\(T.self)) threw \(Swift.type(of: error)), not a FacePayError (a 500)")
            return
        }
        check(error.kind == .badRequest && error.code == "invalid_request", "WireBody.decode(\(T.self)) refused with \(error)")
        check(oracle == nil, "WireBody.decode(\(T.self)) refused what JSONDecoder decodes: \(error)")
    }

    /// `decode` (one of `WireBody.decode`'s overloads, chosen by the caller) answers the oracle's
    /// value or a 400 refusal.
    private static func decodedAsTheOracle<T: Equatable>(_ oracle: T?, _ decode: () throws -> T) -> T? {
        let decoded: T?
        do {
            decoded = try decode()
        } catch {
            expectRefusal(error, of: T.self, oracle: oracle)
            decoded = nil
        }
        if let decoded { check(decoded == oracle, "WireBody.decode's \(T.self) is not JSONDecoder's") }
        return decoded
    }
}
