import FacePayCore
import Foundation
import Liveness

/// Request bodies of the v1 wire contract (SPEC.md "Wire contract (v1)"). Unknown fields are
/// ignored; a missing or ill-typed field is a 400 naming it (`WireBody.decode`).
public struct MoneyBody: Decodable, Sendable {
    public let amount: Int64
    public let currency: Currency

    public var money: Money { Money(amountMinor: amount, currency: currency) }
}

public struct HintBody: Decodable, Sendable {
    public let phoneLast4: String?

    enum CodingKeys: String, CodingKey { case phoneLast4 = "phone_last4" }
}

public struct PaymentBody: Decodable, Sendable {
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
}

public struct VerificationBody: Decodable, Sendable {
    public let face: FaceEvidence
    public let customerID: String?
    public let hint: HintBody?

    enum CodingKeys: String, CodingKey {
        case face, hint
        case customerID = "customer_id"
    }
}

public struct ConsentBody: Decodable, Sendable {
    public let version: String
    public let accepted: Bool
}

public struct EnrolmentBody: Decodable, Sendable {
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

public struct AmountBody: Decodable, Sendable {
    public let amount: Int64?
}

public struct ErasureBody: Decodable, Sendable {
    public let face: FaceEvidence
}

/// JSON in and out of the wire contract.
public enum WireBody {
    /// Decodes a request body; a `DecodingError` becomes a 400 that names the field.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
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

    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
