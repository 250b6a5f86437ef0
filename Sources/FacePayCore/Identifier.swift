/// Opaque ids with a type prefix (`cus_`, `acc_`, `pay_`, `chl_`, `trf_`, `evt_`, ...), as the wire
/// contract requires. The random part is 128 bits from the system CSPRNG, in lower-case base32
/// so ids are URL-safe and fixed-length.
public enum IDPrefix: String, Sendable, CaseIterable {
    case customer = "cus"
    case account = "acc"
    case payment = "pay"
    case challenge = "chl"
    case transfer = "trf"
    case event = "evt"
    case refund = "rfd"
    case request = "req"
}

public enum Identifier {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public static func make(_ prefix: IDPrefix) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(26)
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        // 26 base32 characters carry 130 bits; we fill 128 of them.
        for index in 0..<26 {
            let value: UInt64
            if index < 13 { value = high & 31; high >>= 5 } else { value = low & 31; low >>= 5 }
            bytes.append(alphabet[Int(value)])
        }
        return prefix.rawValue + "_" + String(decoding: bytes, as: UTF8.self)
    }

    /// True when `text` looks like an id of the given type (prefix and charset); used to reject
    /// garbage before it reaches a query.
    public static func isWellFormed(_ text: String, _ prefix: IDPrefix) -> Bool {
        guard text.utf8.count <= 64, text.hasPrefix(prefix.rawValue + "_") else { return false }
        return text.utf8.dropFirst(prefix.rawValue.utf8.count + 1).allSatisfy { alphabet.contains($0) }
    }
}
