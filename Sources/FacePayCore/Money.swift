/// An ISO-4217 currency code: three upper-case ASCII letters. Validated on construction so every
/// `Money` in the process carries a well-formed code.
public struct Currency: Hashable, Sendable, Codable, CustomStringConvertible {
    public let code: String

    public init?(_ code: String) {
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return nil }
        self.code = code
    }

    public var description: String { code }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Currency(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO-4217 code"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// Money is an integer count of minor units (cents) and a currency. Never a floating-point value.
public struct Money: Hashable, Sendable, Codable {
    public let amountMinor: Int64
    public let currency: Currency

    public init(amountMinor: Int64, currency: Currency) {
        self.amountMinor = amountMinor
        self.currency = currency
    }
}

extension Currency {
    /// ISO 4217's minor-unit exponent: digits after the decimal point (2 unless listed).
    public var minorUnitDigits: Int {
        switch code {
        case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF": 0
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND": 3
        case "CLF", "UYW": 4
        default: 2
        }
    }
}

extension Money {
    /// For people: the major units with thousands separated, "100,000.00 EUR" for 10000000 minor
    /// units of EUR (integer arithmetic only; every Int64 formats, the minimum included).
    public var formatted: String {
        let digits = currency.minorUnitDigits
        let magnitude = amountMinor.magnitude   // UInt64: Int64.min has no positive Int64
        var divisor: UInt64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let major = String(magnitude / divisor)
        var grouped = ""
        for (index, character) in major.enumerated() {
            if index > 0 && (major.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        var text = (amountMinor < 0 ? "-" : "") + grouped
        if digits > 0 {
            let minor = String(magnitude % divisor)
            text += "." + String(repeating: "0", count: digits - minor.count) + minor
        }
        return text + " " + currency.code
    }
}
