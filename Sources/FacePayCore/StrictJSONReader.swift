#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A forward-only reader over JSON bytes for the fast paths of request decoding (payment,
/// verification and erasure bodies, each carrying ~30 frames of face evidence).
///
/// Why: Foundation's `JSONDecoder` walks such a body through generic keyed containers and cost
/// about 8 % of the server's CPU at 1,000 payments/s. This reader handles only the plain shape
/// terminals send — ASCII strings without escapes, numbers in JSON's grammar, no `null`, no
/// unknown or repeated keys — and every method returns nil at the first thing outside it. A nil
/// anywhere means "not the plain shape", never "invalid": the caller then decodes with
/// `JSONDecoder`, which accepts everything JSON allows and produces the precise 400s. So this
/// path may refuse valid input but must never accept what `JSONDecoder` would decode differently
/// (tests compare the two on real and mutated bodies).
public struct StrictJSONReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Runs `body` over the bytes of `array`.
    public static func with<T>(_ array: [UInt8], _ body: (inout StrictJSONReader) -> T?) -> T? {
        array.withUnsafeBytes { raw in
            var reader = StrictJSONReader(raw)
            return body(&reader)
        }
    }

    // MARK: Structure

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace); false when the next byte is something else.
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// True when only whitespace is left.
    public mutating func isAtEnd() -> Bool {
        skipWhitespace()
        return position == bytes.count
    }

    /// An object key, read in place (no String is made for it). Match it with string literals:
    /// `switch key { case "amount": … }`.
    public struct Key {
        fileprivate let bytes: UnsafeRawBufferPointer

        public static func ~= (name: StaticString, key: Key) -> Bool {
            name.utf8CodeUnitCount == key.bytes.count
                && memcmp(name.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0
        }
    }

    /// Reads an object, calling `member` with each key (the reader then at its value); `member`
    /// returns false to give up — which it must do for a key it already read (`JSONDecoder` would
    /// keep one of the two values; which one is its business) and for a key it does not know.
    public mutating func readObject(_ member: (inout StrictJSONReader, Key) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = readKeyInPlace(), consume(UInt8(ascii: ":")), member(&self, key) else { return false }
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "}"))
    }

    private mutating func readKeyInPlace() -> Key? {
        guard let range = readStringRange() else { return nil }
        return Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Reads a member's value into `field`; false when the field is already set (a repeated key)
    /// or `value` gives up. Use inside `readObject`: `case "amount": reader.read(into: &amount) { $0.readInt64() }`.
    public mutating func read<T>(into field: inout T?, _ value: (inout StrictJSONReader) -> T?) -> Bool {
        if case .some = field { return false }
        field = value(&self)
        return field != nil
    }

    /// Reads an array of at most `countMax` elements with `element`; nil to give up.
    public mutating func readArray<T>(countMax: Int, _ element: (inout StrictJSONReader) -> T?) -> [T]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var values: [T] = []
        if consume(UInt8(ascii: "]")) { return values }
        repeat {
            guard values.count < countMax, let value = element(&self) else { return nil }
            values.append(value)
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? values : nil
    }

    // MARK: Values

    /// A string of printable ASCII without escapes; nil for anything else.
    public mutating func readString() -> String? {
        guard let range = readStringRange() else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// `readString()` of at most `utf8CountMax` bytes.
    public mutating func readString(utf8CountMax: Int) -> String? {
        guard let range = readStringRange(), range.count <= utf8CountMax else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private mutating func readStringRange() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
            position += 1
        }
        return nil
    }

    /// An integer written as plain digits (optional '-', no leading zero, at most 18 digits).
    public mutating func readInt64() -> Int64? {
        skipWhitespace()
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var value: Int64 = 0
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            // The digit count is checked before the multiplication: 18 digits always fit in an
            // Int64, a 19th could overflow it (and an overflow traps, stopping the server).
            guard position - start < 18 else { return nil }
            value = value * 10 + Int64(bytes[position] - 0x30)
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits == 1 || bytes[start] != 0x30, !continuesNumber() else { return nil }
        return negative ? -value : value
    }

    /// A number in JSON's grammar, converted with the standard library's correctly rounded
    /// parser (as `JSONDecoder` converts it: the nearest Double).
    public mutating func readDouble() -> Double? {
        skipWhitespace()
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let integerStart = position
        guard skipDigits() > 0, position - integerStart == 1 || bytes[integerStart] != 0x30 else { return nil }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { return nil }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { return nil }
        }
        guard position - start <= 64, !continuesNumber() else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        // JSONDecoder refuses a number that underflows to zero (1e-400; subnormals it takes) and
        // a zero with an exponent ("0e1", found by the strict-json fuzzer), and this path must
        // never accept what it refuses: the only zeros read here are written without one
        // ("0", "-0", "0.000").
        if value == 0 {
            guard text.allSatisfy({ $0 == "0" || $0 == "-" || $0 == "." }) else { return nil }
        }
        return value
    }

    /// `readInt64()` within `range`.
    public mutating func readInt64(in range: ClosedRange<Int64>) -> Int64? {
        readInt64().flatMap { range.contains($0) ? $0 : nil }
    }

    /// `readDouble()` within `range`.
    public mutating func readDouble(in range: ClosedRange<Double>) -> Double? {
        readDouble().flatMap { range.contains($0) ? $0 : nil }
    }

    private mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
        return position - start
    }

    /// A number must end at a delimiter; anything else glued on ("1.5x", "12.") is not ours.
    private func continuesNumber() -> Bool {
        guard position < bytes.count else { return false }
        switch bytes[position] {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"): return false
        default: return true
        }
    }
}
