import FacePayCore
import Foundation
import Liveness

/// Request bodies of the v1 wire contract (SPEC.md "Wire contract (v1)"). Unknown fields are
/// ignored; a missing or ill-typed field is a 400 naming it (`WireBody.decode`).
///
/// They live in their own module, below Payments and free of GRDB and Hummingbird, so the fuzz
/// targets of `Fuzz/` can link them; `Equatable` is for those differential targets, which
/// compare the fast path's value with `JSONDecoder`'s.
public struct MoneyBody: Decodable, Sendable, Equatable {
    public let amount: Int64
    public let currency: Currency

    public var money: Money { Money(amountMinor: amount, currency: currency) }
}

public struct HintBody: Decodable, Sendable, Equatable {
    public let phoneLast4: String?

    enum CodingKeys: String, CodingKey { case phoneLast4 = "phone_last4" }

    static func readPlain(_ reader: inout StrictJSONReader) -> HintBody? {
        var phoneLast4: String?
        let complete = reader.readObject { reader, key in
            guard case "phone_last4" = key else { return false }
            return reader.read(into: &phoneLast4) { $0.readString() }
        }
        return complete ? HintBody(phoneLast4: phoneLast4) : nil
    }
}

public struct PaymentBody: PlainJSONDecodable, Sendable, Equatable {
    public let amount: Int64
    public let currency: Currency
    public let face: FaceEvidence
    public let hint: HintBody?
    public let captureMethod: String?
    public let reference: String?

    enum CodingKeys: String, CodingKey {
        case amount, currency, face, hint, reference
        case captureMethod = "capture_method"
    }

    public static func readPlain(_ reader: inout StrictJSONReader) -> PaymentBody? {
        var amount: Int64?, currency: Currency?, face: FaceEvidence?, hint: HintBody?, captureMethod: String?, reference: String?
        let complete = reader.readObject { reader, key in
            switch key {
            case "amount": reader.read(into: &amount) { $0.readInt64() }
            case "currency": reader.read(into: &currency) { $0.readString().flatMap(Currency.init) }
            case "face": reader.read(into: &face) { FaceEvidence.readPlain(&$0) }
            case "hint": reader.read(into: &hint) { HintBody.readPlain(&$0) }
            case "capture_method": reader.read(into: &captureMethod) { $0.readString() }
            case "reference": reader.read(into: &reference) { $0.readString() }
            default: false
            }
        }
        guard complete, let amount, let currency, let face else { return nil }
        return PaymentBody(amount: amount, currency: currency, face: face, hint: hint, captureMethod: captureMethod, reference: reference)
    }
}

public struct VerificationBody: PlainJSONDecodable, Sendable, Equatable {
    public let face: FaceEvidence
    public let customerID: String?
    public let hint: HintBody?

    enum CodingKeys: String, CodingKey {
        case face, hint
        case customerID = "customer_id"
    }

    public static func readPlain(_ reader: inout StrictJSONReader) -> VerificationBody? {
        var face: FaceEvidence?, customerID: String?, hint: HintBody?
        let complete = reader.readObject { reader, key in
            switch key {
            case "face": reader.read(into: &face) { FaceEvidence.readPlain(&$0) }
            case "customer_id": reader.read(into: &customerID) { $0.readString() }
            case "hint": reader.read(into: &hint) { HintBody.readPlain(&$0) }
            default: false
            }
        }
        guard complete, let face else { return nil }
        return VerificationBody(face: face, customerID: customerID, hint: hint)
    }
}

public struct ConsentBody: Decodable, Sendable, Equatable {
    public let version: String
    public let accepted: Bool
}

public struct EnrolmentBody: Decodable, Sendable, Equatable {
    public let name: String
    public let phone: String
    public let consent: ConsentBody?
    public let face: FaceEvidence
    public let initialDeposit: MoneyBody

    enum CodingKeys: String, CodingKey {
        case name, phone, consent, face
        case initialDeposit = "initial_deposit"
    }
}

public struct AmountBody: Decodable, Sendable, Equatable {
    public let amount: Int64?
}

public struct ErasureBody: Decodable, Sendable, Equatable {
    public let face: FaceEvidence
}

/// A body with a fast path for its plain shape (`StrictJSONReader`): `readPlain` returns nil for
/// anything outside it, and `WireBody.decode` then uses `JSONDecoder`. Public so that callers in
/// other modules get the fast overload of `decode`, and the fuzz targets can call `readPlain`.
public protocol PlainJSONDecodable: Decodable {
    static func readPlain(_ reader: inout StrictJSONReader) -> Self?
}

/// JSON in and out of the wire contract.
public enum WireBody {
    /// Decodes a request body; a `DecodingError` becomes a 400 that names the field.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        try decodeWithFoundation(type, from: body)
    }

    static func decodeWithFoundation<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        guard !body.isEmpty else { throw FacePayError.invalidField("body", "a JSON object is required") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw FacePayError.invalidField("body", "is not valid JSON")
            }
            throw FacePayError(decoding: error)
        }
    }

    /// The plain shape through `StrictJSONReader`, anything else through `JSONDecoder`: the same
    /// value either way, and the same errors (only `JSONDecoder` produces them).
    public static func decode<T: PlainJSONDecodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        let plain = StrictJSONReader.with(body) { reader -> T? in
            guard let value = T.readPlain(&reader), reader.isAtEnd() else { return nil }
            return value
        }
        if let plain { return plain }
        return try decodeWithFoundation(type, from: body)
    }

    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
